//! Frames between the server and a session: a kind byte, a big-endian `u32` length, the
//! payload. The attach process passes them through untouched.

/// Keystrokes for the shell (server → session).
pub const INPUT: u8 = 0;
/// The window size, `rows` and `cols` as big-endian `u16`s (server → session).
pub const RESIZE: u8 = 1;
/// Terminal output (session → server). The first frames after connecting replay the
/// session's recent output.
pub const OUTPUT: u8 = 2;
/// The shell ended, with its status as a big-endian `i32`: the exit code, or 128 plus the
/// signal that killed it (session → server). The last frame.
pub const EXIT: u8 = 3;

pub const HEADER: usize = 5;
/// Larger frames are refused: no peer sends them, and a length read from garbage must not
/// make the reader wait for (or allocate) gigabytes.
pub const MAX_PAYLOAD: usize = 1 << 20;

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Frame {
    Input(Vec<u8>),
    Resize { rows: u16, cols: u16 },
    Output(Vec<u8>),
    Exit(i32),
}

/// Appends `payload` as one frame of `kind` to `buffer`.
pub fn encode_into(buffer: &mut Vec<u8>, kind: u8, payload: &[u8]) {
    buffer.push(kind);
    buffer.extend_from_slice(&(payload.len() as u32).to_be_bytes());
    buffer.extend_from_slice(payload);
}

impl Frame {
    pub fn encode(&self) -> Vec<u8> {
        let mut buffer = Vec::new();
        match self {
            Frame::Input(bytes) => encode_into(&mut buffer, INPUT, bytes),
            Frame::Output(bytes) => encode_into(&mut buffer, OUTPUT, bytes),
            Frame::Resize { rows, cols } => {
                let [r0, r1] = rows.to_be_bytes();
                let [c0, c1] = cols.to_be_bytes();
                encode_into(&mut buffer, RESIZE, &[r0, r1, c0, c1]);
            }
            Frame::Exit(code) => encode_into(&mut buffer, EXIT, &code.to_be_bytes()),
        }
        buffer
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum DecodeError {
    UnknownKind(u8),
    TooLong(usize),
    Malformed(u8),
}

impl std::fmt::Display for DecodeError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            DecodeError::UnknownKind(kind) => write!(f, "unknown frame kind {kind}"),
            DecodeError::TooLong(len) => write!(f, "a frame of {len} bytes is too long"),
            DecodeError::Malformed(kind) => write!(f, "a frame of kind {kind} has the wrong size"),
        }
    }
}

impl std::error::Error for DecodeError {}

/// Collects bytes as they arrive and yields whole frames.
#[derive(Debug, Default)]
pub struct Decoder {
    buffer: Vec<u8>,
}

impl Decoder {
    pub fn push(&mut self, bytes: &[u8]) {
        self.buffer.extend_from_slice(bytes);
    }

    /// The next whole frame, `Ok(None)` until more bytes arrive. After an error the stream
    /// cannot be trusted: stop reading it.
    pub fn next_frame(&mut self) -> Result<Option<Frame>, DecodeError> {
        let Some(header) = self.buffer.get(..HEADER) else {
            return Ok(None);
        };
        let kind = header[0];
        let len = u32::from_be_bytes([header[1], header[2], header[3], header[4]]) as usize;
        if kind > EXIT {
            return Err(DecodeError::UnknownKind(kind));
        }
        if len > MAX_PAYLOAD {
            return Err(DecodeError::TooLong(len));
        }
        if self.buffer.len() < HEADER + len {
            return Ok(None);
        }
        let payload: Vec<u8> = self.buffer.drain(..HEADER + len).skip(HEADER).collect();
        let frame = match (kind, payload.as_slice()) {
            (INPUT, _) => Frame::Input(payload),
            (OUTPUT, _) => Frame::Output(payload),
            (RESIZE, &[r0, r1, c0, c1]) => Frame::Resize {
                rows: u16::from_be_bytes([r0, r1]),
                cols: u16::from_be_bytes([c0, c1]),
            },
            (EXIT, &[a, b, c, d]) => Frame::Exit(i32::from_be_bytes([a, b, c, d])),
            _ => return Err(DecodeError::Malformed(kind)),
        };
        Ok(Some(frame))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn frames_survive_any_split() {
        let frames = [
            Frame::Input(b"ls\r".to_vec()),
            Frame::Resize {
                rows: 40,
                cols: 120,
            },
            Frame::Output(Vec::new()),
            Frame::Output("é€".as_bytes().to_vec()),
            Frame::Exit(-1),
        ];
        let wire: Vec<u8> = frames.iter().flat_map(Frame::encode).collect();
        for split in 0..wire.len() {
            let mut decoder = Decoder::default();
            let mut decoded = Vec::new();
            for part in [&wire[..split], &wire[split..]] {
                decoder.push(part);
                while let Some(frame) = decoder.next_frame().unwrap() {
                    decoded.push(frame);
                }
            }
            assert_eq!(decoded, frames, "split at {split}");
        }
    }

    #[test]
    fn garbage_is_an_error_not_a_wait() {
        let mut decoder = Decoder::default();
        decoder.push(b"OCI runtime exec failed");
        assert_eq!(decoder.next_frame(), Err(DecodeError::UnknownKind(b'O')));

        let mut decoder = Decoder::default();
        decoder.push(&[OUTPUT, 0xff, 0xff, 0xff, 0xff]);
        assert!(matches!(decoder.next_frame(), Err(DecodeError::TooLong(_))));

        let mut decoder = Decoder::default();
        decoder.push(&[RESIZE, 0, 0, 0, 1, 7]);
        assert_eq!(decoder.next_frame(), Err(DecodeError::Malformed(RESIZE)));
    }
}
