//! Uploaded pictures on disk: checked (type by content, size, dimensions), decoded, resized to
//! the standard widths and written as JPEG and WebP renditions. A rendition's name carries a
//! hash of the upload, so a URL never changes meaning and is served with a year-long,
//! `immutable` cache header.
//!
//! Layout under the media root: `products/{product_id}/{hash}-{width}.{jpg|webp}`, served at
//! `/media/…`. Encoding is CPU work: callers run it on the blocking pool.
use std::{
    io::Cursor,
    path::{Path, PathBuf},
};

use image::{
    codecs::{jpeg::JpegEncoder, webp::WebPEncoder},
    imageops::FilterType,
    DynamicImage, ImageFormat, ImageReader, Limits, RgbImage,
};
use sha2::{Digest, Sha256};

use crate::model::rendition_widths;

/// Largest upload accepted.
pub const MAX_UPLOAD_BYTES: usize = 8 * 1024 * 1024;
/// Largest side accepted, in pixels (a decoded 6000×6000 picture is ~100 MB of RGB).
pub const MAX_SIDE: u32 = 6000;
/// Smallest side accepted: anything smaller looks broken on a product page.
pub const MIN_SIDE: u32 = 100;
const JPEG_QUALITY: u8 = 82;

#[derive(Debug, thiserror::Error)]
pub enum MediaError {
    #[error("The file is empty.")]
    Empty,
    #[error("The file is {size_mb:.1} MB; pictures can be at most 8 MB.")]
    TooLarge { size_mb: f64 },
    #[error("This is not a picture we can use: upload a JPEG, PNG, WebP or GIF image.")]
    UnsupportedType,
    #[error("The picture could not be read ({0}); it may be damaged.")]
    Unreadable(String),
    #[error("The picture is {width}×{height} pixels; each side must be between 100 and 6000.")]
    BadDimensions { width: u32, height: u32 },
    #[error("cannot store the picture: {0}")]
    Storage(#[from] std::io::Error),
}

impl MediaError {
    /// The shopper/admin's fault (4xx) or ours (5xx).
    pub fn is_client_error(&self) -> bool {
        !matches!(self, MediaError::Storage(_))
    }
}

/// A picture written to the store.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StoredImage {
    /// Storage key without width and extension: `products/12/3fa9…`.
    pub key: String,
    pub width: u32,
    pub height: u32,
    /// WebP renditions were written too.
    pub webp: bool,
}

/// The folder pictures are written to and served from.
#[derive(Debug, Clone)]
pub struct MediaStore {
    root: PathBuf,
}

impl MediaStore {
    pub fn new(root: impl Into<PathBuf>) -> MediaStore {
        MediaStore { root: root.into() }
    }

    pub fn root(&self) -> &Path {
        &self.root
    }

    /// Checks and decodes `bytes`, then writes its renditions for `product_id`.
    pub fn store_upload(&self, product_id: i32, bytes: &[u8]) -> Result<StoredImage, MediaError> {
        let image = decode_upload(bytes)?;
        let digest = Sha256::digest(bytes);
        self.store_decoded(product_id, &image, &hex(&digest[..8]))
    }

    /// Writes the renditions of an already decoded picture under `products/{id}/{name}`:
    /// JPEG always; WebP too when it comes out smaller than the JPEG at the largest width (the
    /// encoder is lossless: a win for flat artwork, a loss for photographs).
    ///
    /// Only the `image` crate's non-generic entry points are used here (`DynamicImage` methods,
    /// `encode` on byte slices): they are compiled optimised even in a debug build of this
    /// crate, which matters for the demo pictures drawn at start-up.
    pub fn store_decoded(
        &self,
        product_id: i32,
        image: &DynamicImage,
        name: &str,
    ) -> Result<StoredImage, MediaError> {
        let (width, height) = (image.width(), image.height());
        let key = format!("products/{product_id}/{name}");
        let dir = self.root.join(format!("products/{product_id}"));
        std::fs::create_dir_all(&dir)?;
        let flat = DynamicImage::ImageRgb8(flatten(image));
        let mut widths = rendition_widths(width);
        widths.reverse();
        let mut webp = true;
        for (i, w) in widths.iter().copied().enumerate() {
            let resized = if w == width {
                flat.to_rgb8()
            } else {
                let h = ((u64::from(height) * u64::from(w)) / u64::from(width)).max(1) as u32;
                flat.resize_exact(w, h, FilterType::CatmullRom).into_rgb8()
            };
            let jpeg = encode_jpeg(&resized)?;
            if webp {
                let encoded = encode_webp(&resized)?;
                if i == 0 && encoded.len() >= jpeg.len() {
                    webp = false;
                } else {
                    self.write_atomically(&format!("{key}-{w}.webp"), &encoded)?;
                }
            }
            self.write_atomically(&format!("{key}-{w}.jpg"), &jpeg)?;
        }
        Ok(StoredImage {
            key,
            width,
            height,
            webp,
        })
    }

    /// Removes every rendition of `key`. Missing files are fine (already gone).
    pub fn remove(&self, key: &str, width: u32) {
        for w in rendition_widths(width) {
            for ext in ["jpg", "webp"] {
                let _ = std::fs::remove_file(self.root.join(format!("{key}-{w}.{ext}")));
            }
        }
    }

    /// `true` when every JPEG rendition of `key` is on disk.
    pub fn has_all(&self, key: &str, width: u32) -> bool {
        rendition_widths(width)
            .iter()
            .all(|w| self.root.join(format!("{key}-{w}.jpg")).is_file())
    }

    /// Write to a temporary name, then rename: a reader never sees half a file.
    fn write_atomically(&self, relative: &str, bytes: &[u8]) -> std::io::Result<()> {
        let target = self.root.join(relative);
        let temp = target.with_extension(format!("tmp{}", std::process::id()));
        std::fs::write(&temp, bytes)?;
        std::fs::rename(&temp, &target)
    }
}

/// Type by content (not by file name or the browser's claim), size and dimension checks, then a
/// decode bounded by memory limits.
pub fn decode_upload(bytes: &[u8]) -> Result<DynamicImage, MediaError> {
    if bytes.is_empty() {
        return Err(MediaError::Empty);
    }
    if bytes.len() > MAX_UPLOAD_BYTES {
        return Err(MediaError::TooLarge {
            size_mb: bytes.len() as f64 / (1024.0 * 1024.0),
        });
    }
    let format = image::guess_format(bytes).map_err(|_| MediaError::UnsupportedType)?;
    if !matches!(
        format,
        ImageFormat::Jpeg | ImageFormat::Png | ImageFormat::WebP | ImageFormat::Gif
    ) {
        return Err(MediaError::UnsupportedType);
    }
    let reader = bounded_reader(bytes, format);
    let (width, height) = reader
        .into_dimensions()
        .map_err(|e| match e {
            image::ImageError::Limits(_) => MediaError::BadDimensions {
                width: 0,
                height: 0,
            },
            other => MediaError::Unreadable(other.to_string()),
        })
        .and_then(|(w, h)| {
            if w < MIN_SIDE || h < MIN_SIDE || w > MAX_SIDE || h > MAX_SIDE {
                Err(MediaError::BadDimensions {
                    width: w,
                    height: h,
                })
            } else {
                Ok((w, h))
            }
        })?;
    let reader = bounded_reader(bytes, format);
    let image = reader
        .decode()
        .map_err(|e| MediaError::Unreadable(e.to_string()))?;
    debug_assert_eq!((image.width(), image.height()), (width, height));
    Ok(image)
}

/// A reader that refuses pictures over `MAX_SIDE` or 256 MB decoded, before allocating them.
fn bounded_reader(bytes: &[u8], format: ImageFormat) -> ImageReader<Cursor<&[u8]>> {
    let mut reader = ImageReader::with_format(Cursor::new(bytes), format);
    let mut limits = Limits::default();
    limits.max_image_width = Some(MAX_SIDE);
    limits.max_image_height = Some(MAX_SIDE);
    limits.max_alloc = Some(256 * 1024 * 1024);
    reader.limits(limits);
    reader
}

/// RGB on a white background: JPEG has no transparency, and a transparent PNG's hidden pixels
/// would otherwise show as black.
fn flatten(image: &DynamicImage) -> RgbImage {
    if !image.color().has_alpha() {
        return image.to_rgb8();
    }
    let rgba = image.to_rgba8();
    RgbImage::from_fn(rgba.width(), rgba.height(), |x, y| {
        let p = rgba.get_pixel(x, y).0;
        let a = u32::from(p[3]);
        let mix = |c: u8| ((u32::from(c) * a + 255 * (255 - a)) / 255) as u8;
        image::Rgb([mix(p[0]), mix(p[1]), mix(p[2])])
    })
}

fn encode_jpeg(image: &RgbImage) -> Result<Vec<u8>, MediaError> {
    let mut out = Vec::new();
    JpegEncoder::new_with_quality(&mut out, JPEG_QUALITY)
        .encode(
            image.as_raw(),
            image.width(),
            image.height(),
            image::ExtendedColorType::Rgb8,
        )
        .map_err(|e| MediaError::Storage(std::io::Error::other(e)))?;
    Ok(out)
}

/// WebP is lossless here (the `image` crate encodes only lossless WebP): much smaller than JPEG
/// for flat artwork, larger for photographs, so pages offer both in `<picture>`.
fn encode_webp(image: &RgbImage) -> Result<Vec<u8>, MediaError> {
    let mut out = Vec::new();
    WebPEncoder::new_lossless(&mut out)
        .encode(
            image.as_raw(),
            image.width(),
            image.height(),
            image::ExtendedColorType::Rgb8,
        )
        .map_err(|e| MediaError::Storage(std::io::Error::other(e)))?;
    Ok(out)
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

/// A clean product shot drawn locally (no network): a two-tone backdrop, a floor shadow and a
/// "product" (box, bottle or round) in the category's colour with a label stripe, varied by
/// `seed`. Flat colours keep the lossless WebP renditions small.
pub fn demo_picture(seed: u64, hue: u32, size: u32) -> DynamicImage {
    let wall = hsl(hue, 0.25, 0.93);
    let floor = hsl((hue + 20) % 360, 0.22, 0.86);
    let shadow = hsl((hue + 20) % 360, 0.18, 0.74);
    let body = hsl((hue + (seed % 40) as u32) % 360, 0.55, 0.45);
    let highlight = hsl((hue + (seed % 40) as u32) % 360, 0.55, 0.58);
    let accent = hsl((hue + 180) % 360, 0.6, 0.55);
    let s = size as f32;
    let shape = seed % 3;
    let img = RgbImage::from_fn(size, size, |x, y| {
        let (fx, fy) = (x as f32 / s, y as f32 / s);
        let mut c = if fy < 0.72 { wall } else { floor };
        let (dx, dy) = ((fx - 0.5) / 0.30, (fy - 0.80) / 0.045);
        if dx * dx + dy * dy < 1.0 {
            c = shadow;
        }
        let inside = match shape {
            0 => (0.27..0.73).contains(&fx) && (0.26..0.80).contains(&fy),
            1 => (0.37..0.63).contains(&fx) && (0.16..0.80).contains(&fy),
            _ => {
                let (cx, cy) = (fx - 0.5, fy - 0.52);
                cx * cx + cy * cy < 0.075
            }
        };
        if inside {
            c = if fx < 0.42 { highlight } else { body };
            if (0.50..0.58).contains(&fy) {
                c = accent;
            }
        }
        image::Rgb(c)
    });
    DynamicImage::ImageRgb8(img)
}

fn hsl(hue: u32, s: f32, l: f32) -> [u8; 3] {
    let h = (hue % 360) as f32 / 60.0;
    let c = (1.0 - (2.0 * l - 1.0).abs()) * s;
    let x = c * (1.0 - (h % 2.0 - 1.0).abs());
    let (r, g, b) = match h as u32 {
        0 => (c, x, 0.0),
        1 => (x, c, 0.0),
        2 => (0.0, c, x),
        3 => (0.0, x, c),
        4 => (x, 0.0, c),
        _ => (c, 0.0, x),
    };
    let m = l - c / 2.0;
    let to = |v: f32| ((v + m) * 255.0).round().clamp(0.0, 255.0) as u8;
    [to(r), to(g), to(b)]
}

#[cfg(test)]
mod tests {
    use super::*;

    fn png(width: u32, height: u32) -> Vec<u8> {
        let mut out = Vec::new();
        demo_picture(1, 120, width.max(height))
            .resize_exact(width, height, FilterType::Nearest)
            .write_to(&mut Cursor::new(&mut out), ImageFormat::Png)
            .expect("encode png");
        out
    }

    #[test]
    fn an_upload_becomes_jpeg_and_webp_renditions() {
        let dir = std::env::temp_dir().join(format!("pasar-media-{}", std::process::id()));
        let store = MediaStore::new(&dir);
        let stored = store.store_upload(7, &png(800, 600)).expect("stored");
        assert_eq!((stored.width, stored.height), (800, 600));
        assert!(stored.key.starts_with("products/7/"));
        assert!(store.has_all(&stored.key, 800));
        let jpg = std::fs::read(dir.join(format!("{}-320.jpg", stored.key))).expect("320 jpg");
        let webp = std::fs::read(dir.join(format!("{}-640.webp", stored.key))).expect("640 webp");
        assert_eq!(image::guess_format(&jpg).ok(), Some(ImageFormat::Jpeg));
        assert_eq!(image::guess_format(&webp).ok(), Some(ImageFormat::WebP));
        let small = image::load_from_memory(&jpg).expect("decodes");
        assert_eq!((small.width(), small.height()), (320, 240));
        // 800 wide: 160, 320, 640 and the original 800; nothing upscaled to 1200.
        assert!(dir.join(format!("{}-800.jpg", stored.key)).is_file());
        assert!(!dir.join(format!("{}-1200.jpg", stored.key)).exists());
        store.remove(&stored.key, 800);
        assert!(!store.has_all(&stored.key, 800));
        let _ = std::fs::remove_dir_all(dir);
    }

    #[test]
    fn bad_files_get_clear_errors() {
        assert!(matches!(decode_upload(b""), Err(MediaError::Empty)));
        assert!(matches!(
            decode_upload(b"%PDF-1.7 not a picture"),
            Err(MediaError::UnsupportedType)
        ));
        assert!(matches!(
            decode_upload(&vec![0u8; MAX_UPLOAD_BYTES + 1]),
            Err(MediaError::TooLarge { .. })
        ));
        assert!(matches!(
            decode_upload(&png(50, 400)),
            Err(MediaError::BadDimensions {
                width: 50,
                height: 400
            })
        ));
        let mut truncated = png(300, 300);
        truncated.truncate(truncated.len() / 2);
        assert!(matches!(
            decode_upload(&truncated),
            Err(MediaError::Unreadable(_))
        ));
        let message = MediaError::UnsupportedType.to_string();
        assert!(message.contains("JPEG, PNG, WebP or GIF"));
    }

    #[test]
    fn transparency_is_flattened_onto_white() {
        let clear = DynamicImage::ImageRgba8(image::RgbaImage::from_pixel(
            2,
            2,
            image::Rgba([0, 0, 0, 0]),
        ));
        assert_eq!(flatten(&clear).get_pixel(0, 0).0, [255, 255, 255]);
    }
}
