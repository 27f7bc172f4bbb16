//! A bounded buffer of a terminal's most recent output, replayed to a viewer that
//! (re)attaches so it sees the screen as it was.

use std::collections::VecDeque;

pub struct Scrollback {
    bytes: VecDeque<u8>,
    limit: usize,
}

impl Scrollback {
    pub fn new(limit: usize) -> Self {
        Self {
            bytes: VecDeque::with_capacity(limit.min(64 * 1024)),
            limit,
        }
    }

    /// Appends output, dropping the oldest bytes past the limit — and then any UTF-8
    /// continuation bytes at the new start, so a replay never begins mid-character.
    pub fn push(&mut self, chunk: &[u8]) {
        let skipped = chunk.len().saturating_sub(self.limit);
        let chunk = &chunk[skipped..];
        let overflow = (self.bytes.len() + chunk.len()).saturating_sub(self.limit);
        self.bytes.drain(..overflow);
        self.bytes.extend(chunk);
        if skipped + overflow > 0 {
            let partial = self
                .bytes
                .iter()
                .take_while(|b| (0x80..0xC0).contains(*b))
                .count();
            self.bytes.drain(..partial);
        }
    }

    pub fn snapshot(&self) -> Vec<u8> {
        self.bytes.iter().copied().collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keeps_the_most_recent_bytes_within_the_limit() {
        let mut scrollback = Scrollback::new(8);
        scrollback.push(b"hello ");
        scrollback.push(b"world");
        assert_eq!(scrollback.snapshot(), b"lo world");
        scrollback.push(b"0123456789abc");
        assert_eq!(scrollback.snapshot(), b"56789abc");
    }

    #[test]
    fn never_starts_in_the_middle_of_a_character() {
        let mut scrollback = Scrollback::new(4);
        scrollback.push("aé€".as_bytes()); // 1 + 2 + 3 bytes: keeping 4 cuts into "é"
        assert_eq!(String::from_utf8(scrollback.snapshot()).unwrap(), "€");

        let mut across_pushes = Scrollback::new(4);
        across_pushes.push(b"a");
        across_pushes.push("é€".as_bytes());
        assert_eq!(String::from_utf8(across_pushes.snapshot()).unwrap(), "€");
    }
}
