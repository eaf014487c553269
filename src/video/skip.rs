//! The closing "hold" picture of a lecture, written by hand: a P picture in which every
//! macroblock is skipped, so it shows the picture before it unchanged.
//!
//! It is a few bytes of slice header and one `mb_skip_run` covering the whole picture, built
//! from the stream's own SPS and PPS. Asking openh264 for it meant a second encode of every
//! slide (a P picture per slide, cached, of which a lecture uses one); this costs nothing.
//! Only what openh264 writes is supported (progressive frames, CAVLC, no weighted prediction,
//! one slice group); anything else is an error, never a wrong picture.

use anyhow::{bail, Context, Result};

/// What the slice header needs from the parameter sets.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct Params {
    log2_max_frame_num: u32,
    poc_type: u32,
    log2_max_poc_lsb: u32,
    delta_pic_order_always_zero: bool,
    macroblocks: u32,
    pps_id: u32,
    bottom_field_pic_order: bool,
    redundant_pic_cnt: bool,
    deblocking_control: bool,
}

/// An MP4 sample (one NAL unit behind a 4-byte length) holding a non-reference P picture that
/// repeats the IDR picture before it, for a stream with these parameter sets.
pub fn hold_picture(sps: &[u8], pps: &[u8]) -> Result<Vec<u8>> {
    let params = parse(sps, pps).context("reading the H.264 parameter sets")?;
    let mut w = BitWriter::default();
    w.ue(0); // first_mb_in_slice
    w.ue(5); // slice_type: P, every slice of the picture
    w.ue(params.pps_id);
    // The IDR before it is frame 0; the first picture after a reference picture is frame 1.
    w.bits(1, params.log2_max_frame_num);
    match params.poc_type {
        0 => {
            // Two picture order counts per frame: the IDR is 0, this is 2.
            w.bits(2, params.log2_max_poc_lsb);
            if params.bottom_field_pic_order {
                w.se(0);
            }
        }
        1 if !params.delta_pic_order_always_zero => {
            w.se(0);
            if params.bottom_field_pic_order {
                w.se(0);
            }
        }
        _ => {}
    }
    if params.redundant_pic_cnt {
        w.ue(0);
    }
    w.bit(false); // num_ref_idx_active_override_flag
    w.bit(false); // ref_pic_list_modification_flag_l0
                  // nal_ref_idc 0: no dec_ref_pic_marking; CAVLC: no cabac_init_idc.
    w.se(0); // slice_qp_delta
    if params.deblocking_control {
        w.ue(1); // disable_deblocking_filter_idc: nothing to filter in a copy
    }
    w.ue(params.macroblocks); // mb_skip_run: all of them
    w.bit(true); // rbsp_stop_one_bit
    let rbsp = w.finish();
    // NAL header: forbidden bit 0, nal_ref_idc 0, type 1 (a slice of a non-IDR picture).
    let mut nal = vec![0x01];
    escape(&rbsp, &mut nal);
    let mut sample = (nal.len() as u32).to_be_bytes().to_vec();
    sample.extend_from_slice(&nal);
    Ok(sample)
}

fn parse(sps: &[u8], pps: &[u8]) -> Result<Params> {
    let sps = unescape(sps.get(1..).context("empty SPS")?);
    let mut r = BitReader::new(&sps);
    let profile = r.bits(8)?;
    r.bits(16)?; // constraint flags, level
    r.ue()?; // seq_parameter_set_id
    if matches!(
        profile,
        100 | 110 | 122 | 244 | 44 | 83 | 86 | 118 | 128 | 138 | 139 | 134 | 135
    ) {
        let chroma_format = r.ue()?;
        if chroma_format == 3 {
            r.bits(1)?; // separate_colour_plane_flag
        }
        r.ue()?; // bit_depth_luma_minus8
        r.ue()?; // bit_depth_chroma_minus8
        r.bits(1)?; // qpprime_y_zero_transform_bypass_flag
        if r.bits(1)? == 1 {
            bail!("SPS with scaling matrices");
        }
    }
    let log2_max_frame_num = r.ue()? + 4;
    let poc_type = r.ue()?;
    let (mut log2_max_poc_lsb, mut delta_pic_order_always_zero) = (0, false);
    match poc_type {
        0 => log2_max_poc_lsb = r.ue()? + 4,
        1 => {
            delta_pic_order_always_zero = r.bits(1)? == 1;
            r.se()?;
            r.se()?;
            for _ in 0..r.ue()? {
                r.se()?;
            }
        }
        _ => {}
    }
    r.ue()?; // max_num_ref_frames
    r.bits(1)?; // gaps_in_frame_num_value_allowed_flag
    let width_mbs = r.ue()? + 1;
    let height_units = r.ue()? + 1;
    if r.bits(1)? != 1 {
        bail!("interlaced SPS");
    }

    let pps = unescape(pps.get(1..).context("empty PPS")?);
    let mut r = BitReader::new(&pps);
    let pps_id = r.ue()?;
    r.ue()?; // seq_parameter_set_id
    if r.bits(1)? == 1 {
        bail!("CABAC PPS");
    }
    let bottom_field_pic_order = r.bits(1)? == 1;
    if r.ue()? != 0 {
        bail!("PPS with slice groups");
    }
    r.ue()?; // num_ref_idx_l0_default_active_minus1
    r.ue()?; // num_ref_idx_l1_default_active_minus1
    if r.bits(1)? == 1 {
        bail!("PPS with weighted prediction");
    }
    r.bits(2)?; // weighted_bipred_idc
    r.se()?; // pic_init_qp_minus26
    r.se()?; // pic_init_qs_minus26
    r.se()?; // chroma_qp_index_offset
    let deblocking_control = r.bits(1)? == 1;
    r.bits(1)?; // constrained_intra_pred_flag
    let redundant_pic_cnt = r.bits(1)? == 1;
    Ok(Params {
        log2_max_frame_num,
        poc_type,
        log2_max_poc_lsb,
        delta_pic_order_always_zero,
        macroblocks: width_mbs * height_units,
        pps_id,
        bottom_field_pic_order,
        redundant_pic_cnt,
        deblocking_control,
    })
}

/// Takes out the emulation prevention bytes (`00 00 03` -> `00 00`).
fn unescape(nal: &[u8]) -> Vec<u8> {
    let mut out = Vec::with_capacity(nal.len());
    let mut zeros = 0;
    for &b in nal {
        if zeros >= 2 && b == 3 {
            zeros = 0;
            continue;
        }
        zeros = if b == 0 { zeros + 1 } else { 0 };
        out.push(b);
    }
    out
}

/// Puts in emulation prevention bytes, so no start code appears inside the NAL unit.
fn escape(rbsp: &[u8], out: &mut Vec<u8>) {
    let mut zeros = 0;
    for &b in rbsp {
        if zeros >= 2 && b <= 3 {
            out.push(3);
            zeros = 0;
        }
        zeros = if b == 0 { zeros + 1 } else { 0 };
        out.push(b);
    }
}

struct BitReader<'a> {
    bytes: &'a [u8],
    pos: usize,
}

impl<'a> BitReader<'a> {
    fn new(bytes: &'a [u8]) -> Self {
        Self { bytes, pos: 0 }
    }

    fn bits(&mut self, n: u32) -> Result<u32> {
        let mut v = 0;
        for _ in 0..n {
            let byte = *self
                .bytes
                .get(self.pos / 8)
                .context("parameter set too short")?;
            v = (v << 1) | u32::from((byte >> (7 - self.pos % 8)) & 1);
            self.pos += 1;
        }
        Ok(v)
    }

    /// Unsigned Exp-Golomb.
    fn ue(&mut self) -> Result<u32> {
        let mut zeros = 0;
        while self.bits(1)? == 0 {
            zeros += 1;
            if zeros > 31 {
                bail!("bad Exp-Golomb code");
            }
        }
        Ok((1u32 << zeros) - 1 + self.bits(zeros)?)
    }

    /// Signed Exp-Golomb.
    fn se(&mut self) -> Result<i32> {
        let k = self.ue()?;
        Ok(if k % 2 == 1 {
            (k as i32 + 1) / 2
        } else {
            -((k / 2) as i32)
        })
    }
}

#[derive(Default)]
struct BitWriter {
    bytes: Vec<u8>,
    bits: u32,
}

impl BitWriter {
    fn bit(&mut self, on: bool) {
        if self.bits.is_multiple_of(8) {
            self.bytes.push(0);
        }
        if on {
            if let Some(last) = self.bytes.last_mut() {
                *last |= 0x80 >> (self.bits % 8);
            }
        }
        self.bits += 1;
    }

    fn bits(&mut self, value: u32, n: u32) {
        for i in (0..n).rev() {
            self.bit((value >> i) & 1 == 1);
        }
    }

    fn ue(&mut self, value: u32) {
        let v = u64::from(value) + 1;
        let len = 64 - v.leading_zeros();
        for _ in 1..len {
            self.bit(false);
        }
        for i in (0..len).rev() {
            self.bit((v >> i) & 1 == 1);
        }
    }

    fn se(&mut self, value: i32) {
        let k = if value > 0 {
            2 * value as u32 - 1
        } else {
            2 * value.unsigned_abs()
        };
        self.ue(k);
    }

    /// The bytes, the last one padded with zero bits.
    fn finish(self) -> Vec<u8> {
        self.bytes
    }
}
