//! Request bodies of crash reports: compressed or not, and never inflated without bound.
//!
//! Clients may compress with gzip, deflate (zlib, or raw as some clients send it) or brotli.
//! Decompression reads at most one byte past the limit, so a small body that would inflate to
//! gigabytes costs the server no more than the limit in memory.

use std::io::Read;

/// Why a body was refused.
#[derive(Debug, PartialEq, Eq, thiserror::Error)]
pub enum BodyError {
    /// A `Content-Encoding` the server does not decode.
    #[error("the content encoding `{0}` is not supported; use gzip, deflate, br or none")]
    UnsupportedEncoding(String),
    /// The decompressed body is over the limit.
    #[error("the decompressed body is larger than {limit} bytes")]
    TooLarge {
        /// The limit.
        limit: usize,
    },
    /// The compressed data is corrupt or truncated.
    #[error("the body could not be decompressed: {0}")]
    Corrupt(String),
}

/// Reads `reader` to its end, refusing more than `limit` bytes.
fn read_bounded(reader: impl Read, limit: usize) -> Result<Vec<u8>, BodyError> {
    let mut decoded = Vec::new();
    reader
        .take(limit as u64 + 1)
        .read_to_end(&mut decoded)
        .map_err(|error| BodyError::Corrupt(error.to_string()))?;
    if decoded.len() > limit {
        return Err(BodyError::TooLarge { limit });
    }
    Ok(decoded)
}

/// Decodes a body sent with this `Content-Encoding` (none, `identity`, `gzip`, `deflate`, `br`).
pub fn decode(encoding: Option<&str>, body: &[u8], limit: usize) -> Result<Vec<u8>, BodyError> {
    let encoding = encoding.map(|value| value.trim().to_ascii_lowercase());
    match encoding.as_deref() {
        None | Some("") | Some("identity") => {
            if body.len() > limit {
                return Err(BodyError::TooLarge { limit });
            }
            Ok(body.to_vec())
        }
        Some("gzip") | Some("x-gzip") => read_bounded(flate2::read::GzDecoder::new(body), limit),
        Some("deflate") => {
            // HTTP's deflate is zlib-wrapped, but some clients send raw deflate: try both.
            match read_bounded(flate2::read::ZlibDecoder::new(body), limit) {
                Err(BodyError::Corrupt(_)) => {
                    read_bounded(flate2::read::DeflateDecoder::new(body), limit)
                }
                other => other,
            }
        }
        Some("br") => read_bounded(brotli_decompressor::Decompressor::new(body, 4096), limit),
        Some(other) => Err(BodyError::UnsupportedEncoding(other.to_string())),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::io::Write;

    fn gzip(data: &[u8]) -> Vec<u8> {
        let mut encoder = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::fast());
        encoder.write_all(data).unwrap();
        encoder.finish().unwrap()
    }

    #[test]
    fn each_supported_encoding_round_trips() {
        let data = b"{\"message\":\"hello\"}".repeat(20);
        assert_eq!(decode(None, &data, 1 << 20).unwrap(), data);
        assert_eq!(decode(Some("gzip"), &gzip(&data), 1 << 20).unwrap(), data);
        let mut zlib = flate2::write::ZlibEncoder::new(Vec::new(), flate2::Compression::fast());
        zlib.write_all(&data).unwrap();
        assert_eq!(
            decode(Some("deflate"), &zlib.finish().unwrap(), 1 << 20).unwrap(),
            data
        );
        let mut raw = flate2::write::DeflateEncoder::new(Vec::new(), flate2::Compression::fast());
        raw.write_all(&data).unwrap();
        assert_eq!(
            decode(Some("Deflate"), &raw.finish().unwrap(), 1 << 20).unwrap(),
            data
        );
    }

    #[test]
    fn brotli_bodies_are_decoded() {
        // `zlib.brotliCompressSync('{"message":"hello from brotli"}')` in Node.js.
        let compressed = [
            27, 30, 0, 224, 141, 84, 181, 191, 22, 209, 217, 235, 91, 105, 108, 109, 72, 37, 155,
            136, 162, 52, 57, 71, 18, 218, 98, 65, 122, 14,
        ];
        assert_eq!(
            decode(Some("br"), &compressed, 1024).unwrap(),
            b"{\"message\":\"hello from brotli\"}"
        );
        assert_eq!(
            decode(Some("br"), &compressed, 10),
            Err(BodyError::TooLarge { limit: 10 })
        );
    }

    #[test]
    fn a_compression_bomb_is_stopped_at_the_limit() {
        // 64 MiB of zeros compresses to about 64 KiB; the limit is 1 MiB.
        let mut encoder = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::best());
        let zeros = vec![0u8; 1 << 20];
        for _ in 0..64 {
            encoder.write_all(&zeros).unwrap();
        }
        let bomb = encoder.finish().unwrap();
        assert!(bomb.len() < 1 << 20);
        assert_eq!(
            decode(Some("gzip"), &bomb, 1 << 20),
            Err(BodyError::TooLarge { limit: 1 << 20 })
        );
    }

    #[test]
    fn corrupt_unknown_and_oversized_bodies_are_refused() {
        assert!(matches!(
            decode(Some("gzip"), b"not gzip", 100),
            Err(BodyError::Corrupt(_))
        ));
        let truncated = gzip(b"some event data that is long enough");
        assert!(matches!(
            decode(Some("gzip"), &truncated[..truncated.len() / 2], 100),
            Err(BodyError::Corrupt(_))
        ));
        assert_eq!(
            decode(Some("compress"), b"x", 100),
            Err(BodyError::UnsupportedEncoding("compress".into()))
        );
        assert_eq!(
            decode(None, &[0u8; 101], 100),
            Err(BodyError::TooLarge { limit: 100 })
        );
    }
}
