//! MCAP recording of raw ROS 2 messages, readable by rosbag2 (storage plugin `mcap`)
//! and Foxglove.
//!
//! As rosbag2 records: profile "ros2", one schema per type named "pkg/msg/Type" with
//! encoding "ros2msg" and the complete definition (see [`crate::definitions`]), one
//! channel per topic with message encoding "cdr", and message data exactly the CDR
//! bytes the middleware delivered. Chunks are uncompressed, so every reader opens them.

use mcap::records::MessageHeader;
use mcap::{WriteOptions, Writer};
use std::collections::BTreeMap;
use std::fs::File;
use std::io::{BufWriter, Seek, Write};
use std::path::{Path, PathBuf};

/// MCAP profile of ROS 2 recordings.
pub const PROFILE: &str = "ros2";
pub const SCHEMA_ENCODING: &str = "ros2msg";
/// What rosbag2 writes as schema encoding when it has no definition of the type.
pub const SCHEMA_ENCODING_UNKNOWN: &str = "unknown";
pub const MESSAGE_ENCODING: &str = "cdr";

#[derive(Debug, thiserror::Error)]
pub enum RecordError {
    #[error("cannot create {path}: {reason}")]
    Create { path: PathBuf, reason: String },
    #[error("MCAP: {0}")]
    Mcap(#[from] mcap::McapError),
    #[error("writing the recording: {0}")]
    Io(#[from] std::io::Error),
    #[error("topic {0} was not added to the recording")]
    UnknownTopic(String),
    #[error("topic {topic} is recorded as {recorded}, not {offered}")]
    TypeChanged { topic: String, recorded: String, offered: String },
}

/// What was recorded on one topic.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TopicSummary {
    pub topic: String,
    pub type_name: String,
    /// Whether the schema holds the type's definition (else readers cannot decode it).
    pub has_definition: bool,
    pub messages: u64,
    pub bytes: u64,
}

#[derive(Debug)]
struct TopicChannel {
    channel_id: u16,
    sequence: u32,
    summary: TopicSummary,
}

/// Writes one MCAP file of ROS 2 topics.
pub struct McapRecorder<W: Write + Seek> {
    writer: Writer<W>,
    topics: BTreeMap<String, TopicChannel>,
}

impl McapRecorder<BufWriter<File>> {
    /// Creates (or truncates) the file at `path`.
    pub fn create(path: &Path) -> Result<McapRecorder<BufWriter<File>>, RecordError> {
        let file = File::create(path)
            .map_err(|e| RecordError::Create { path: path.to_path_buf(), reason: e.to_string() })?;
        McapRecorder::new(BufWriter::new(file))
    }

    /// Writes the summary and footer, flushes and syncs the file.
    pub fn finish_file(self) -> Result<Vec<TopicSummary>, RecordError> {
        let (writer, topics) = self.finish()?;
        let file = writer.into_inner().map_err(|e| RecordError::Io(e.into_error()))?;
        file.sync_all()?;
        Ok(topics)
    }
}

impl<W: Write + Seek> McapRecorder<W> {
    pub fn new(sink: W) -> Result<McapRecorder<W>, RecordError> {
        let options = WriteOptions::new()
            .profile(PROFILE)
            .library(concat!("factory_recorder ", env!("CARGO_PKG_VERSION")))
            .compression(None);
        Ok(McapRecorder { writer: options.create(sink)?, topics: BTreeMap::new() })
    }

    /// Adds a channel for `topic` of ROS type `type_name` ("pkg/msg/Type").
    /// `definition` is the complete ros2msg definition; without one the topic is still
    /// recorded (rosbag2 can replay it where the type is installed) under an "unknown"
    /// schema, as rosbag2 does. Adding a topic again with the same type does nothing.
    pub fn add_topic(
        &mut self,
        topic: &str,
        type_name: &str,
        definition: Option<&str>,
    ) -> Result<(), RecordError> {
        if let Some(existing) = self.topics.get(topic) {
            if existing.summary.type_name == type_name {
                return Ok(());
            }
            return Err(RecordError::TypeChanged {
                topic: topic.to_string(),
                recorded: existing.summary.type_name.clone(),
                offered: type_name.to_string(),
            });
        }
        let (encoding, data) = match definition {
            Some(text) => (SCHEMA_ENCODING, text.as_bytes()),
            None => (SCHEMA_ENCODING_UNKNOWN, &[][..]),
        };
        let schema_id = self.writer.add_schema(type_name, encoding, data)?;
        let channel_id = self.writer.add_channel(schema_id, topic, MESSAGE_ENCODING, &BTreeMap::new())?;
        let summary = TopicSummary {
            topic: topic.to_string(),
            type_name: type_name.to_string(),
            has_definition: definition.is_some(),
            messages: 0,
            bytes: 0,
        };
        self.topics.insert(topic.to_string(), TopicChannel { channel_id, sequence: 0, summary });
        Ok(())
    }

    pub fn has_topic(&self, topic: &str) -> bool {
        self.topics.contains_key(topic)
    }

    /// Writes one CDR message received at `log_time_ns` (and published at
    /// `publish_time_ns`), nanoseconds of ROS time.
    pub fn write(
        &mut self,
        topic: &str,
        log_time_ns: u64,
        publish_time_ns: u64,
        cdr: &[u8],
    ) -> Result<(), RecordError> {
        let Some(channel) = self.topics.get_mut(topic) else {
            return Err(RecordError::UnknownTopic(topic.to_string()));
        };
        channel.sequence = channel.sequence.wrapping_add(1);
        let header = MessageHeader {
            channel_id: channel.channel_id,
            sequence: channel.sequence,
            log_time: log_time_ns,
            publish_time: publish_time_ns,
        };
        self.writer.write_to_known_channel(&header, cdr)?;
        channel.summary.messages += 1;
        channel.summary.bytes += cdr.len() as u64;
        Ok(())
    }

    /// What has been recorded so far, by topic.
    pub fn topics(&self) -> Vec<TopicSummary> {
        self.topics.values().map(|c| c.summary.clone()).collect()
    }

    /// Writes the summary section and footer; returns the sink and the topic summaries.
    pub fn finish(mut self) -> Result<(W, Vec<TopicSummary>), RecordError> {
        self.writer.finish()?;
        let topics = self.topics();
        Ok((self.writer.into_inner(), topics))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::io::Cursor;

    const TIME_DEF: &str = "int32 sec\nuint32 nanosec\n";

    #[test]
    fn readers_see_channels_schemas_encodings_and_the_exact_bytes() {
        let mut rec = McapRecorder::new(Cursor::new(Vec::new())).expect("writer");
        rec.add_topic("/clock", "rosgraph_msgs/msg/Clock", Some(TIME_DEF)).expect("topic");
        rec.add_topic("/mystery", "other_pkg/msg/Thing", None).expect("topic");
        // Same topic and type again: no second channel.
        rec.add_topic("/clock", "rosgraph_msgs/msg/Clock", Some(TIME_DEF)).expect("topic");
        let changed = rec.add_topic("/clock", "std_msgs/msg/String", None).unwrap_err();
        assert!(matches!(changed, RecordError::TypeChanged { .. }), "{changed}");
        // CDR of builtin_interfaces/Time {sec: 5, nanosec: 7}: little-endian header + fields.
        let clock_a = [0u8, 1, 0, 0, 5, 0, 0, 0, 7, 0, 0, 0];
        let clock_b = [0u8, 1, 0, 0, 6, 0, 0, 0, 0, 0, 0, 0];
        rec.write("/clock", 5_000_000_007, 5_000_000_007, &clock_a).expect("write");
        rec.write("/mystery", 5_500_000_000, 5_400_000_000, &[1, 2, 3]).expect("write");
        rec.write("/clock", 6_000_000_000, 6_000_000_000, &clock_b).expect("write");
        assert!(matches!(rec.write("/nope", 0, 0, &[]), Err(RecordError::UnknownTopic(_))));
        let (sink, topics) = rec.finish().expect("finish");
        assert_eq!(topics.len(), 2);
        assert_eq!((topics[0].topic.as_str(), topics[0].messages, topics[0].bytes), ("/clock", 2, 24));

        let bytes = sink.into_inner();
        let messages: Vec<mcap::Message> =
            mcap::MessageStream::new(&bytes).expect("stream").collect::<Result<_, _>>().expect("messages");
        assert_eq!(messages.len(), 3);
        let first = &messages[0];
        assert_eq!(first.channel.topic, "/clock");
        assert_eq!(first.channel.message_encoding, "cdr");
        let schema = first.channel.schema.as_ref().expect("schema");
        assert_eq!(schema.name, "rosgraph_msgs/msg/Clock");
        assert_eq!(schema.encoding, "ros2msg");
        assert_eq!(schema.data.as_ref(), TIME_DEF.as_bytes());
        assert_eq!(first.data.as_ref(), &clock_a);
        assert_eq!((first.log_time, first.sequence), (5_000_000_007, 1));
        let mystery = &messages[1];
        assert_eq!(mystery.channel.topic, "/mystery");
        assert_eq!(mystery.channel.schema.as_ref().map(|s| s.encoding.as_str()), Some("unknown"));
        assert_eq!((mystery.log_time, mystery.publish_time), (5_500_000_000, 5_400_000_000));
        assert_eq!(messages[2].data.as_ref(), &clock_b);
        assert_eq!(messages[2].sequence, 2);

        // The summary section (what `ros2 bag info` and Foxglove read first) is complete.
        let summary = mcap::Summary::read(&bytes).expect("summary").expect("has a summary");
        let stats = summary.stats.expect("statistics");
        assert_eq!(stats.message_count, 3);
        assert_eq!(stats.channel_count, 2);
        assert_eq!((stats.message_start_time, stats.message_end_time), (5_000_000_007, 6_000_000_000));
        let header_profile = read_profile(&bytes);
        assert_eq!(header_profile, "ros2");
    }

    /// The profile string of the MCAP header record (magic, opcode 0x01, length, profile).
    fn read_profile(bytes: &[u8]) -> String {
        let mut reader = mcap::read::LinearReader::new(bytes).expect("reader");
        match reader.next() {
            Some(Ok(mcap::records::Record::Header(h))) => h.profile,
            other => panic!("first record is not a header: {other:?}"),
        }
    }

    #[test]
    fn a_file_recording_is_complete_after_finish_file() {
        let dir = std::env::temp_dir().join(format!("factory_recorder_rec_{}", std::process::id()));
        std::fs::create_dir_all(&dir).expect("temp dir");
        let path = dir.join("recording.mcap");
        let mut rec = McapRecorder::create(&path).expect("file");
        rec.add_topic("/t", "pkg/msg/T", Some("uint8 x\n")).expect("topic");
        for i in 0..100u64 {
            rec.write("/t", i, i, &[0, 1, 0, 0, i as u8]).expect("write");
        }
        let topics = rec.finish_file().expect("finish");
        assert_eq!(topics[0].messages, 100);
        let bytes = std::fs::read(&path).expect("read back");
        let count = mcap::MessageStream::new(&bytes).expect("stream").filter(|m| m.is_ok()).count();
        assert_eq!(count, 100);
        assert!(bytes.ends_with(b"\x89MCAP0\r\n"), "file ends with the MCAP magic");
        let _ = std::fs::remove_dir_all(&dir);
    }
}
