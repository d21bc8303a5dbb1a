//! What can go wrong while fetching, in domain words. Each variant names the URI, path or
//! status involved; `Display` is the one-line reason printed as the last stderr line.

use std::path::PathBuf;
use std::time::Duration;

/// A failure of one fetch item or of the run around it.
#[derive(Debug, thiserror::Error)]
pub enum FetchError {
    /// The URI string itself is unusable (`\`, `'` or NUL in it; no path after the host).
    #[error("Invalid URI '{uri}': {reason}")]
    InvalidUri { uri: String, reason: String },

    #[error("Unsupported URI scheme '{scheme}' in '{uri}' (supported: http, https, file, absolute or relative paths, hdfs, hftp, s3, s3n, s3a)")]
    UnsupportedScheme { uri: String, scheme: String },

    #[error("A relative path was passed for the resource but the Mesos framework home was not specified. Please either provide this config option or avoid using a relative path: '{path}'")]
    RelativePathWithoutFrameworksHome { path: String },

    #[error("output_file '{output_file}' is rejected: {reason}")]
    BadOutputFile { output_file: String, reason: String },

    #[error("HTTP request for '{uri}' failed: received HTTP status {code}")]
    HttpStatus { uri: String, code: u16 },

    #[error("HTTP request for '{uri}' failed: {reason}")]
    Http { uri: String, reason: String },

    /// The redirect limit (libcurl's default, which Mesos keeps) was reached.
    #[error("HTTP request for '{uri}' failed: too many redirects (more than {max}; the server redirects in a loop or too deep)")]
    TooManyRedirects { uri: String, max: usize },

    #[error("Download of '{uri}' stalled: no data received for {after:?}")]
    Stalled { uri: String, after: Duration },

    #[error("Local copy of '{path}' failed: {source}")]
    LocalCopy {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },

    #[error("Local source '{path}' is refused: {reason}")]
    LocalSourceRefused { path: PathBuf, reason: String },

    #[error("Local source '{path}' is a directory; only files can be fetched")]
    SourceIsDirectory { path: PathBuf },

    #[error("Failed to create HDFS client: no Hadoop client installed ('{client}' not found; install Hadoop or set HADOOP_HOME)")]
    HadoopMissing { client: String },

    #[error("Failed to create HDFS client: Hadoop client is not available ('{client} version' {status})")]
    HadoopUnavailable { client: String, status: String },

    #[error("HDFS copyToLocal of '{uri}' failed: {status}, stdout='{stdout}', stderr='{stderr}'")]
    HadoopCopy {
        uri: String,
        status: String,
        stdout: String,
        stderr: String,
    },

    #[error("Checksum mismatch for '{uri}': expected sha256:{expected}, got sha256:{actual}")]
    ChecksumMismatch {
        uri: String,
        expected: String,
        actual: String,
    },

    #[error("Invalid checksum '{checksum}' for '{uri}': expected 'sha256:<64 hex digits>'")]
    BadChecksum { uri: String, checksum: String },

    #[error("Failed to extract archive '{archive}' to '{dir}': {reason}")]
    Extract {
        archive: PathBuf,
        dir: PathBuf,
        reason: String,
    },

    #[error("Archive '{archive}' is rejected: entry '{entry}' {reason}")]
    HostileArchive {
        archive: PathBuf,
        entry: String,
        reason: String,
    },

    #[error("Cache directory not specified")]
    NoCacheDirectory,

    #[error("No cache file name for: {uri}")]
    NoCacheFilename { uri: String },

    #[error("Invalid cache file name '{name}' for '{uri}': must be a bare file name")]
    BadCacheFilename { uri: String, name: String },

    #[error("Cache file '{path}' for '{uri}' is missing")]
    CacheFileMissing { uri: String, path: PathBuf },

    #[error("Could not create the fetcher cache directory '{path}': {source}")]
    CacheDirectory {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },

    #[error("Timed out after {after:?} waiting for the fetcher cache lock '{path}' (another process holds it)")]
    CacheLockTimeout { path: PathBuf, after: Duration },

    #[error("Fetcher cache index '{path}': {reason}")]
    CacheIndex { path: PathBuf, reason: String },

    #[error("Fetcher could not switch to user '{user}': {reason}")]
    SwitchUser { user: String, reason: String },

    #[error("Failed to chmod executable '{path}': {source}")]
    Chmod {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },

    #[error("{op} '{path}': {source}")]
    Io {
        op: &'static str,
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },

    /// The run's disk budget (see [`crate::budget`]) would be exceeded.
    #[error("Disk budget of {budget} ({env}) exceeded while {doing}; the partial output was removed: give the task more disk, or fetch less", env = crate::budget::BUDGET_ENV)]
    DiskBudget { budget: String, doing: String },

    /// The run was stopped by a signal.
    #[error("Interrupted")]
    Interrupted,

    #[error("Missing sandbox directory")]
    NoSandbox,
}

impl FetchError {
    pub(crate) fn io(op: &'static str, path: impl Into<PathBuf>, source: std::io::Error) -> Self {
        FetchError::Io {
            op,
            path: path.into(),
            source,
        }
    }

    /// Whether a retry could succeed: transport errors and 5xx, never 4xx or bad input.
    pub fn is_transient(&self) -> bool {
        match self {
            FetchError::HttpStatus { code, .. } => (500..600).contains(code),
            FetchError::Http { .. } => true,
            _ => false,
        }
    }
}

/// A failed item as the binary reports it: `Failed to fetch '<uri>': <error>` (Mesos's
/// wording, which tools grep for).
#[derive(Debug, thiserror::Error)]
#[error("Failed to fetch '{uri}': {source}")]
pub struct ItemFailure {
    pub uri: String,
    #[source]
    pub source: FetchError,
}
