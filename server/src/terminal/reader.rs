//! Reading what the holder's attach process prints: its frames become terminal output and
//! how the shell ended; what it says on stderr (or garbage from the engine) becomes the
//! reason it could not start.

use bytes::Bytes;
use terminal_holder::protocol::{Decoder, Frame};

use super::Ending;
use crate::runtime::ExecChunk;

/// What the holder says on stderr when it cannot start is kept up to this size.
const MAX_COMPLAINT: usize = 4096;

/// Turns what the holder's attach process prints into terminal output and an ending.
#[derive(Default)]
pub(super) struct HolderReader {
    decoder: Decoder,
    ending: Option<Ending>,
    /// Its stderr: why it could not start.
    complaint: Vec<u8>,
}

impl HolderReader {
    /// Hands on the output in `chunk`; `false` when the stream cannot be trusted any more.
    pub(super) fn read(&mut self, chunk: ExecChunk, mut show: impl FnMut(Bytes)) -> bool {
        let bytes = match chunk {
            ExecChunk::Stdout(bytes) => bytes,
            ExecChunk::Stderr(bytes) => {
                let room = MAX_COMPLAINT.saturating_sub(self.complaint.len());
                self.complaint
                    .extend_from_slice(&bytes[..bytes.len().min(room)]);
                return true;
            }
        };
        self.decoder.push(&bytes);
        loop {
            match self.decoder.next_frame() {
                Ok(Some(Frame::Output(output))) => show(output.into()),
                Ok(Some(Frame::Exit(code))) => self.ending = Some(Ending::Exited(code)),
                Ok(Some(_)) => {}
                Ok(None) => return true,
                // Not the holder talking: the engine could not run it, and says why.
                Err(_) => {
                    self.complaint
                        .extend_from_slice(&bytes[..bytes.len().min(MAX_COMPLAINT)]);
                    return false;
                }
            }
        }
    }

    pub(super) fn ending(self) -> Option<Ending> {
        let complaint = String::from_utf8_lossy(&self.complaint).trim().to_owned();
        match self.ending {
            Some(ending) => Some(ending),
            None if !complaint.is_empty() => Some(Ending::Failed(complaint)),
            None => None,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn read_all(chunks: Vec<ExecChunk>) -> (Vec<u8>, Option<Ending>) {
        let mut reader = HolderReader::default();
        let mut shown = Vec::new();
        for chunk in chunks {
            if !reader.read(chunk, |bytes| shown.extend_from_slice(&bytes)) {
                break;
            }
        }
        (shown, reader.ending())
    }

    #[test]
    fn output_and_the_exit_status_come_through_split_anyhow() {
        let mut wire = Frame::Output(b"hello ".to_vec()).encode();
        wire.extend(Frame::Output(b"world".to_vec()).encode());
        wire.extend(Frame::Exit(3).encode());
        let chunks = wire
            .chunks(4)
            .map(|c| ExecChunk::Stdout(Bytes::copy_from_slice(c)))
            .collect();
        assert_eq!(
            read_all(chunks),
            (b"hello world".to_vec(), Some(Ending::Exited(3)))
        );
    }

    #[test]
    fn a_holder_that_cannot_start_says_why() {
        let complaint = ExecChunk::Stderr(Bytes::from_static(
            b"aicockpit-holder: cannot create /tmp/.aicockpit-holder-1000: Read-only file system\n",
        ));
        let (shown, ending) = read_all(vec![complaint]);
        assert!(shown.is_empty());
        assert!(
            matches!(ending, Some(Ending::Failed(why)) if why.ends_with("Read-only file system"))
        );

        // Not the holder at all: the engine's own error on stdout.
        let garbage = ExecChunk::Stdout(Bytes::from_static(
            b"OCI runtime exec failed: exec: \"/.aicockpit/holder\": no such file",
        ));
        let (_, ending) = read_all(vec![garbage]);
        assert!(matches!(ending, Some(Ending::Failed(why)) if why.starts_with("OCI runtime")));
    }

    #[test]
    fn a_connection_that_just_ends_has_no_status() {
        let chunks = vec![ExecChunk::Stdout(
            Frame::Output(b"x".to_vec()).encode().into(),
        )];
        assert_eq!(read_all(chunks), (b"x".to_vec(), None));
    }
}
