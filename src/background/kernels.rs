//! Numeric kernels shared by the backends: the matrix product both diffusion models run on,
//! the allocator setting both keep while they compute, and the dither hash of the pictures.

/// `dst = lhs * rhs` (or `dst += lhs * rhs` when `accumulate`) for row-major slices with the
/// given strides, on all threads when `parallel`.
#[allow(clippy::too_many_arguments)]
pub fn matmul(
    (m, n, k): (usize, usize, usize),
    dst: &mut [f32],
    lhs: &[f32],
    (lhs_rs, lhs_cs): (usize, usize),
    rhs: &[f32],
    (rhs_rs, rhs_cs): (usize, usize),
    accumulate: bool,
    parallel: bool,
) {
    assert!(dst.len() >= m * n);
    assert!(m == 0 || k == 0 || lhs.len() > (m - 1) * lhs_rs + (k - 1) * lhs_cs);
    assert!(n == 0 || k == 0 || rhs.len() > (k - 1) * rhs_rs + (n - 1) * rhs_cs);
    let threads = rayon::current_num_threads();
    let parallelism = if parallel && threads > 1 {
        gemm::Parallelism::Rayon(threads)
    } else {
        gemm::Parallelism::None
    };
    // SAFETY: the asserts above keep every index gemm computes inside the three slices, and
    // `dst` does not overlap the inputs (it is a distinct `&mut`).
    unsafe {
        gemm::gemm(
            m,
            n,
            k,
            dst.as_mut_ptr(),
            1,
            n as isize,
            accumulate,
            lhs.as_ptr(),
            lhs_cs as isize,
            lhs_rs as isize,
            rhs.as_ptr(),
            rhs_cs as isize,
            rhs_rs as isize,
            1.0,
            1.0,
            false,
            false,
            false,
            parallelism,
        );
    }
}

/// glibc gives every block over its mmap threshold back to the kernel when it is freed (and
/// trims the heap above 128 KiB), so a model that allocates its activations afresh for each
/// layer maps and zeroes them again and again: measured up to 10% of a UNet step (runs vary
/// by 5% here) and 15% of a training step. While the returned guard lives, blocks up to 32 MiB (glibc's ceiling) come
/// from the heap and freed memory is kept for reuse; dropping it gives the memory back.
#[must_use]
pub fn keep_freed_memory() -> KeptMemory {
    #[cfg(all(target_os = "linux", target_env = "gnu"))]
    // SAFETY: mallopt only tunes the allocator's thresholds; these values are valid.
    unsafe {
        libc::mallopt(libc::M_MMAP_THRESHOLD, 32 << 20);
        libc::mallopt(libc::M_TRIM_THRESHOLD, i32::MAX);
    }
    KeptMemory
}

/// See [`keep_freed_memory`].
pub struct KeptMemory;

impl Drop for KeptMemory {
    fn drop(&mut self) {
        #[cfg(all(target_os = "linux", target_env = "gnu"))]
        // SAFETY: as above; malloc_trim only returns free memory to the kernel.
        unsafe {
            libc::mallopt(libc::M_TRIM_THRESHOLD, 128 << 10);
            libc::malloc_trim(0);
        }
    }
}

/// Side of the [`dither_tile`].
pub const DITHER_TILE: usize = 64;

/// Dither offsets in [-0.5, 0.5) of a level: a 64x64 tile of [`hash2`] values, repeated over
/// the picture (`tile[y % 64][x % 64]`). Made once; a lookup instead of a hash per pixel.
pub fn dither_tile() -> &'static [[f32; DITHER_TILE]; DITHER_TILE] {
    static TILE: std::sync::OnceLock<[[f32; DITHER_TILE]; DITHER_TILE]> =
        std::sync::OnceLock::new();
    TILE.get_or_init(|| {
        let mut tile = [[0.0; DITHER_TILE]; DITHER_TILE];
        for (y, row) in tile.iter_mut().enumerate() {
            for (x, d) in row.iter_mut().enumerate() {
                *d = hash2(x as u32, y as u32) as f32 / u32::MAX as f32 - 0.5;
            }
        }
        tile
    })
}

/// A fixed hash of a pixel position, for ordered dithering.
pub fn hash2(x: u32, y: u32) -> u32 {
    let mut h = x.wrapping_mul(0x8DA6_B343) ^ y.wrapping_mul(0xD816_3841);
    h ^= h >> 15;
    h = h.wrapping_mul(0x2C1B_3C6D);
    h ^= h >> 12;
    h
}
