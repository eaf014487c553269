-- lecturegen's lecture player for Quarto (written by `lecturegen integrate quarto`; it writes
-- it again only if this file is missing). In a page with `lecture: true`:
-- {{< lecture >}} shows the page's own lecture, {{< lecture ID >}} any lecture of
-- lectures/lectures.json. `lecturegen build` runs first, as the project's pre-render step.

local function read_manifest()
  local path = quarto.project.directory .. "/" .. "@DATA@/lectures.json"
  local file = io.open(path, "r")
  if not file then return nil end
  local text = file:read("a")
  file:close()
  return quarto.json.decode(text)
end

local function relative_to_project(file)
  local root = quarto.project.directory .. "/"
  if file:sub(1, #root) == root then return file:sub(#root + 1) end
  return file
end

return {
  ["lecture"] = function(args, kwargs, meta)
    if not quarto.doc.is_format("html") then return pandoc.Null() end
    local manifest = read_manifest()
    local lecture = nil
    if manifest then
      local id = args[1] and pandoc.utils.stringify(args[1]) or ""
      if id ~= "" then
        lecture = manifest.lectures[id]
      else
        local page = relative_to_project(quarto.doc.input_file)
        for _, entry in pairs(manifest.lectures) do
          if entry.page == page then lecture = entry end
        end
      end
    end
    if not lecture then
      return pandoc.RawBlock("html", '<p class="lecturegen-missing"><em>The lecture video of ' ..
        'this page is not built yet: run <code>lecturegen build</code>.</em></p>')
    end
    -- The page's way up to the project's root ("." at the top), so URLs stay relative.
    local base = (quarto.project.offset or ".") .. "/"
    local html = lecture.player:gsub("@BASE@", function() return base end)
    return pandoc.RawBlock("html", html)
  end
}
