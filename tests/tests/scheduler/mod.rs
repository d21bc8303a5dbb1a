//! A minimal framework on the real master's v1 Scheduler HTTP API (JSON, RecordIO), for the
//! drop-in scenarios `mesos-execute` cannot play: it always enables TASK_KILLING_STATE, so a
//! framework without that capability needs a scheduler of its own. It subscribes with the
//! capabilities it is given, launches one task on the first offer that fits, acknowledges
//! every update, kills on request and tears itself down when dropped.

use std::io::{BufRead, BufReader, Read, Write};
use std::net::TcpStream;
use std::sync::mpsc;
use std::time::{Duration, Instant};

use serde_json::{json, Value};

pub struct Scheduler {
    master: String,
    stream_id: String,
    framework_id: Value,
    events: mpsc::Receiver<Value>,
}

/// One HTTP request on a fresh connection: the response status, headers and the rest of the
/// stream (the body, possibly endless).
fn post(
    master: &str,
    body: &Value,
    stream_id: Option<&str>,
) -> (u16, Vec<(String, String)>, BufReader<TcpStream>) {
    let mut conn = TcpStream::connect(master).unwrap();
    conn.set_read_timeout(Some(Duration::from_secs(60)))
        .unwrap();
    let body = body.to_string();
    let mut head = format!(
        "POST /api/v1/scheduler HTTP/1.1\r\nHost: {master}\r\nContent-Type: application/json\r\nAccept: application/json\r\nContent-Length: {}\r\n",
        body.len()
    );
    if let Some(id) = stream_id {
        head.push_str(&format!("Mesos-Stream-Id: {id}\r\n"));
    }
    head.push_str("\r\n");
    conn.write_all(head.as_bytes()).unwrap();
    conn.write_all(body.as_bytes()).unwrap();
    let mut reader = BufReader::new(conn);
    let mut status_line = String::new();
    reader.read_line(&mut status_line).unwrap();
    let status: u16 = status_line
        .split_whitespace()
        .nth(1)
        .unwrap_or("0")
        .parse()
        .unwrap_or(0);
    let mut headers = Vec::new();
    loop {
        let mut line = String::new();
        reader.read_line(&mut line).unwrap();
        let line = line.trim_end();
        if line.is_empty() {
            break;
        }
        if let Some((k, v)) = line.split_once(':') {
            headers.push((k.trim().to_ascii_lowercase(), v.trim().to_string()));
        }
    }
    (status, headers, reader)
}

/// Reads the chunked body of the SUBSCRIBE response as RecordIO records of JSON events.
fn read_events(mut reader: BufReader<TcpStream>, tx: mpsc::Sender<Value>) {
    let mut data: Vec<u8> = Vec::new();
    loop {
        let mut size_line = String::new();
        if reader.read_line(&mut size_line).unwrap_or(0) == 0 {
            return;
        }
        let Ok(size) = usize::from_str_radix(size_line.trim(), 16) else {
            return;
        };
        if size == 0 {
            return;
        }
        let mut chunk = vec![0u8; size + 2];
        if reader.read_exact(&mut chunk).is_err() {
            return;
        }
        data.extend_from_slice(&chunk[..size]);
        // RecordIO: "<length>\n<record>".
        while let Some(nl) = data.iter().position(|&b| b == b'\n') {
            let Ok(len) = std::str::from_utf8(&data[..nl])
                .unwrap_or("")
                .parse::<usize>()
            else {
                return;
            };
            if data.len() < nl + 1 + len {
                break;
            }
            let record: Vec<u8> = data.drain(..nl + 1 + len).skip(nl + 1).collect();
            if let Ok(event) = serde_json::from_slice::<Value>(&record) {
                if tx.send(event).is_err() {
                    return;
                }
            }
        }
    }
}

impl Scheduler {
    /// Subscribes a framework named `name` with `capabilities` (e.g. `[]`).
    pub fn subscribe(master: &str, name: &str, capabilities: &[&str]) -> Self {
        let caps: Vec<Value> = capabilities.iter().map(|c| json!({"type": c})).collect();
        let call = json!({
            "type": "SUBSCRIBE",
            "subscribe": {"framework_info": {"user": "root", "name": name, "capabilities": caps}}
        });
        let (status, headers, reader) = post(master, &call, None);
        assert_eq!(status, 200, "SUBSCRIBE answered {status}");
        let stream_id = headers
            .iter()
            .find(|(k, _)| k == "mesos-stream-id")
            .map(|(_, v)| v.clone())
            .expect("no Mesos-Stream-Id");
        let (tx, events) = mpsc::channel();
        std::thread::spawn(move || read_events(reader, tx));
        let mut s = Scheduler {
            master: master.to_string(),
            stream_id,
            framework_id: Value::Null,
            events,
        };
        let subscribed = s.next_event("SUBSCRIBED");
        s.framework_id = subscribed["subscribed"]["framework_id"].clone();
        s
    }

    fn call(&self, mut call: Value) {
        call["framework_id"] = self.framework_id.clone();
        let (status, _, _) = post(&self.master, &call, Some(&self.stream_id));
        assert!(
            status == 202 || status == 200,
            "{} answered {status}",
            call["type"]
        );
    }

    /// The next event of `kind`, acknowledging updates on the way (bounded wait).
    fn next_event(&mut self, kind: &str) -> Value {
        let deadline = Instant::now() + Duration::from_secs(90);
        loop {
            let left = deadline.saturating_duration_since(Instant::now());
            let event = self
                .events
                .recv_timeout(left)
                .unwrap_or_else(|_| panic!("no {kind} event within 90 s"));
            if event["type"] == kind {
                return event;
            }
        }
    }

    /// Launches `task` (a TaskInfo without `agent_id`) on the next offer.
    pub fn launch(&mut self, mut task: Value) {
        let offers = self.next_event("OFFERS");
        let offer = &offers["offers"]["offers"][0];
        task["agent_id"] = offer["agent_id"].clone();
        self.call(json!({
            "type": "ACCEPT",
            "accept": {
                "offer_ids": [offer["id"].clone()],
                "operations": [{"type": "LAUNCH", "launch": {"task_infos": [task]}}]
            }
        }));
    }

    /// The next status update's state and the whole status; acknowledges it.
    pub fn next_update(&mut self) -> (String, Value) {
        let event = self.next_event("UPDATE");
        let status = event["update"]["status"].clone();
        if let Some(uuid) = status.get("uuid") {
            self.call(json!({
                "type": "ACKNOWLEDGE",
                "acknowledge": {
                    "agent_id": status["agent_id"].clone(),
                    "task_id": status["task_id"].clone(),
                    "uuid": uuid.clone()
                }
            }));
        }
        (status["state"].as_str().unwrap_or("").to_string(), status)
    }

    pub fn kill(&self, task_id: &str, agent_id: &Value) {
        self.call(json!({
            "type": "KILL",
            "kill": {"task_id": {"value": task_id}, "agent_id": agent_id.clone()}
        }));
    }
}

impl Drop for Scheduler {
    fn drop(&mut self) {
        if !self.framework_id.is_null() {
            let mut call = json!({"type": "TEARDOWN"});
            call["framework_id"] = self.framework_id.clone();
            let _ = std::panic::catch_unwind(|| post(&self.master, &call, Some(&self.stream_id)));
        }
    }
}
