//! A thin, safe wrapper over openh264's C encoder, driven directly rather than through the
//! `openh264` crate's `Encoder`, for two reasons measured here:
//!
//! - Fixed-QP intra pictures: with rate control off openh264 encodes at the layer's QP, which the
//!   crate never sets (it stays at a hidden 26, about 39 dB). Here it is the configured QP, so
//!   quality is exact and the same on every run, and no rate controller can drop a frame.
//! - Quiet: the crate lowers the trace level only after initialisation, so every encoder it
//!   makes prints parameter warnings to stderr; here the level is set first.

use std::os::raw::{c_int, c_void};
use std::ptr::{addr_of_mut, null_mut};

use anyhow::{bail, Result};
use openh264_sys2::{
    source::APILoader, videoFormatI420, ISVCEncoder, SEncParamExt, SFrameBSInfo, SSourcePicture,
    CAMERA_VIDEO_REAL_TIME, CONSTANT_ID, DEBLOCKING_IDC_0, ENCODER_OPTION_DATAFORMAT,
    ENCODER_OPTION_TRACE_LEVEL, LOW_COMPLEXITY, RC_OFF_MODE, SM_SINGLE_SLICE, WELS_LOG_QUIET,
};

use super::yuv::Yuv420;

/// One openh264 encoder instance.
pub(super) struct RawEncoder {
    ptr: *mut ISVCEncoder,
}

// SAFETY: the encoder instance is owned by this value and used from one thread at a time
// (`&mut self` on every call).
unsafe impl Send for RawEncoder {}

fn check(code: c_int, what: &str) -> Result<()> {
    if code != 0 {
        bail!("openh264 {what} failed with code {code}");
    }
    Ok(())
}

impl RawEncoder {
    /// An encoder for `width` x `height` pictures at a fixed `qp`, tagged BT.709 limited range.
    pub(super) fn new(width: u32, height: u32, qp: u8) -> Result<Self> {
        let mut ptr: *mut ISVCEncoder = null_mut();
        // SAFETY: `ptr` is a valid out-pointer; on success it points at a live encoder whose
        // vtable functions all take that pointer first. Every call below passes pointers to
        // locals that outlive the call.
        unsafe {
            check(APILoader::WelsCreateSVCEncoder(&mut ptr), "create")?;
            if ptr.is_null() {
                bail!("openh264 returned no encoder");
            }
            let encoder = Self { ptr };
            let vtbl = &**encoder.ptr;
            encoder.set_int_option(
                ENCODER_OPTION_TRACE_LEVEL,
                WELS_LOG_QUIET as c_int,
                "set trace level",
            )?;
            let mut params = SEncParamExt::default();
            let Some(get_default) = vtbl.GetDefaultParams else {
                bail!("openh264 encoder without GetDefaultParams");
            };
            check(get_default(encoder.ptr, &mut params), "default parameters")?;
            params.iUsageType = CAMERA_VIDEO_REAL_TIME;
            params.iPicWidth = width as c_int;
            params.iPicHeight = height as c_int;
            params.iRCMode = RC_OFF_MODE;
            params.iTargetBitrate = 0;
            params.fMaxFrameRate = 30.0;
            params.iSpatialLayerNum = 1;
            params.iTemporalLayerNum = 1;
            params.uiIntraPeriod = 0;
            params.eSpsPpsIdStrategy = CONSTANT_ID;
            params.bEnableFrameSkip = false;
            params.bEnableSceneChangeDetect = false;
            params.bEnableBackgroundDetection = false;
            params.bEnableAdaptiveQuant = false;
            params.bEnableDenoise = false;
            params.bEnableLongTermReference = false;
            // Intra pictures of slides: the low-complexity mode decides modes in 23 ms per
            // 1080p picture instead of 37 ms, for the same PSNR (44.92 dB against 44.94 dB)
            // and the same size (measured by `cargo bench --bench build`).
            params.iComplexityMode = LOW_COMPLEXITY;
            params.iMultipleThreadIdc = 1;
            params.iLoopFilterDisableIdc = DEBLOCKING_IDC_0 as c_int;
            params.iMinQp = qp as c_int;
            params.iMaxQp = qp as c_int;
            let layer = &mut params.sSpatialLayers[0];
            layer.iVideoWidth = width as c_int;
            layer.iVideoHeight = height as c_int;
            layer.fFrameRate = 30.0;
            layer.iSpatialBitrate = 0;
            layer.iMaxSpatialBitrate = 0;
            layer.iDLayerQp = qp as c_int;
            layer.sSliceArgument.uiSliceMode = SM_SINGLE_SLICE;
            layer.sSliceArgument.uiSliceNum = 1;
            layer.bVideoSignalTypePresent = true;
            layer.uiVideoFormat = 5; // unspecified
            layer.bFullRange = false;
            layer.bColorDescriptionPresent = true;
            layer.uiColorPrimaries = 1; // BT.709
            layer.uiTransferCharacteristics = 1; // BT.709
            layer.uiColorMatrix = 1; // BT.709
            let Some(init) = vtbl.InitializeExt else {
                bail!("openh264 encoder without InitializeExt");
            };
            check(init(encoder.ptr, &params), "initialise")?;
            encoder.set_int_option(
                ENCODER_OPTION_DATAFORMAT,
                videoFormatI420 as c_int,
                "set data format",
            )?;
            Ok(encoder)
        }
    }

    /// Sets an integer option of the encoder.
    fn set_int_option(
        &self,
        id: openh264_sys2::ENCODER_OPTION,
        value: c_int,
        what: &str,
    ) -> Result<()> {
        let mut value = value;
        // SAFETY: `ptr` is a live encoder; the option value outlives the call.
        unsafe {
            let Some(set_option) = (**self.ptr).SetOption else {
                bail!("openh264 encoder without SetOption");
            };
            check(
                set_option(self.ptr, id, addr_of_mut!(value).cast::<c_void>()),
                what,
            )
        }
    }

    /// Encodes one picture; `idr` forces an IDR picture. Returns its NAL units (start codes
    /// included, as openh264 writes them).
    pub(super) fn encode(&mut self, yuv: &Yuv420, idr: bool) -> Result<Vec<Vec<u8>>> {
        let mut source = SSourcePicture {
            iColorFormat: videoFormatI420 as c_int,
            iStride: [
                yuv.width as c_int,
                (yuv.width / 2) as c_int,
                (yuv.width / 2) as c_int,
                0,
            ],
            pData: [
                yuv.y.as_ptr().cast_mut(),
                yuv.u.as_ptr().cast_mut(),
                yuv.v.as_ptr().cast_mut(),
                null_mut(),
            ],
            iPicWidth: yuv.width as c_int,
            iPicHeight: yuv.height as c_int,
            uiTimeStamp: 0,
            bPsnrY: false,
            bPsnrU: false,
            bPsnrV: false,
        };
        let mut info = SFrameBSInfo::default();
        // SAFETY: the planes outlive the call and openh264 only reads them; `info` receives
        // pointers into the encoder's own buffer, copied out before the next call.
        unsafe {
            let vtbl = &**self.ptr;
            if idr {
                if let Some(force) = vtbl.ForceIntraFrame {
                    check(force(self.ptr, true), "force IDR")?;
                }
            }
            let Some(encode) = vtbl.EncodeFrame else {
                bail!("openh264 encoder without EncodeFrame");
            };
            source.uiTimeStamp = 0;
            check(encode(self.ptr, &source, &mut info), "encode")?;
            let mut nals = Vec::new();
            for layer in info.sLayerInfo.iter().take(info.iLayerNum.max(0) as usize) {
                let mut offset = 0usize;
                for i in 0..layer.iNalCount.max(0) as usize {
                    let len = *layer.pNalLengthInByte.add(i) as usize;
                    let nal = std::slice::from_raw_parts(layer.pBsBuf.add(offset), len);
                    nals.push(nal.to_vec());
                    offset += len;
                }
            }
            Ok(nals)
        }
    }
}

impl Drop for RawEncoder {
    fn drop(&mut self) {
        // SAFETY: `ptr` came from WelsCreateSVCEncoder and is released exactly once.
        unsafe {
            if let Some(uninit) = (**self.ptr).Uninitialize {
                uninit(self.ptr);
            }
            APILoader::WelsDestroySVCEncoder(self.ptr);
        }
    }
}
