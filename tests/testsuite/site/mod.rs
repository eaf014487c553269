//! Publishing: lecturegen's own lecture page, host sites, and the player they embed.

mod embedded_player;
mod handout;
mod host_sites;
mod lecture_page;
