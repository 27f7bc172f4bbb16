//! Who is where: every terminal connection counts its user as present in a room (its
//! workspace, and its terminal) while it lasts, and everyone in a room hears the list of
//! its users whenever it changes.

use std::collections::{BTreeMap, HashMap};
use std::sync::{Arc, Mutex};

use tokio::sync::broadcast;

use crate::sync::Unpoisoned;

struct Room {
    /// User name → open connections.
    users: BTreeMap<String, usize>,
    changes: broadcast::Sender<Vec<String>>,
}

impl Room {
    fn names(&self) -> Vec<String> {
        self.users.keys().cloned().collect()
    }
}

#[derive(Clone, Default)]
pub struct Presence(Arc<Mutex<HashMap<String, Room>>>);

/// A user's presence in a room; leaving is dropping it.
pub struct Here {
    presence: Presence,
    room: String,
    user: String,
}

impl Presence {
    fn rooms(&self) -> std::sync::MutexGuard<'_, HashMap<String, Room>> {
        self.0.locked()
    }

    /// Marks `user` present in `room`; returns the guard and a feed of who is there, whose
    /// first message is the list including this user.
    pub fn join(&self, room_key: &str, user: &str) -> (Here, broadcast::Receiver<Vec<String>>) {
        let mut rooms = self.rooms();
        let room = rooms.entry(room_key.to_owned()).or_insert_with(|| Room {
            users: BTreeMap::new(),
            changes: broadcast::channel(16).0,
        });
        *room.users.entry(user.to_owned()).or_default() += 1;
        let feed = room.changes.subscribe();
        let _ = room.changes.send(room.names());
        let here = Here {
            presence: self.clone(),
            room: room_key.to_owned(),
            user: user.to_owned(),
        };
        (here, feed)
    }

    pub fn present(&self, workspace: &str) -> Vec<String> {
        self.rooms()
            .get(workspace)
            .map(Room::names)
            .unwrap_or_default()
    }
}

impl Drop for Here {
    fn drop(&mut self) {
        let mut rooms = self.presence.rooms();
        let Some(room) = rooms.get_mut(&self.room) else {
            return;
        };
        if let Some(count) = room.users.get_mut(&self.user) {
            *count -= 1;
            if *count == 0 {
                room.users.remove(&self.user);
            }
        }
        if room.users.is_empty() {
            rooms.remove(&self.room);
        } else {
            let _ = room.changes.send(room.names());
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn joining_and_leaving_is_heard_by_everyone_in_the_room() {
        let presence = Presence::default();
        let (ada, mut feed) = presence.join("w1", "ada");
        assert_eq!(feed.try_recv().unwrap(), ["ada"]);
        let (bob, _) = presence.join("w1", "bob");
        let (bob_again, _) = presence.join("w1", "bob");
        let (_other, _) = presence.join("w2", "eve");
        assert_eq!(feed.try_recv().unwrap(), ["ada", "bob"]);
        drop(bob);
        assert_eq!(
            presence.present("w1"),
            ["ada", "bob"],
            "bob has another tab open"
        );
        drop(bob_again);
        assert_eq!(presence.present("w1"), ["ada"]);
        drop(ada);
        assert!(presence.present("w1").is_empty());
        assert_eq!(presence.present("w2"), ["eve"]);
    }
}
