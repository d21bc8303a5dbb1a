//! What happens before the fetch proper, as the invoking (agent) user: the umask is read,
//! the cache directory created and handed to the fetch user, and privileges dropped (in
//! this order, as in Mesos: the cache directory before the switch, which may lose the right
//! to create it).

use crate::error::FetchError;
use mesos_types::fetcher::{FetchAction, FetcherInfo};
use nix::unistd::{Uid, User};
use std::ffi::CString;
use std::path::Path;
use std::sync::OnceLock;

static UMASK: OnceLock<u32> = OnceLock::new();

/// The process umask, read once (reading it means setting it, so do this before any thread
/// creates files).
pub fn umask() -> u32 {
    *UMASK.get_or_init(|| {
        let old = nix::sys::stat::umask(nix::sys::stat::Mode::empty());
        nix::sys::stat::umask(old);
        old.bits()
    })
}

fn lookup(user: &str) -> Result<User, FetchError> {
    User::from_name(user)
        .map_err(|e| FetchError::SwitchUser {
            user: user.to_string(),
            reason: format!("cannot look the user up: {e}"),
        })?
        .ok_or_else(|| FetchError::SwitchUser {
            user: user.to_string(),
            reason: "no such user".into(),
        })
}

/// `mkdir -p cache_directory` and chown of its leaf to the fetch user, when some item uses
/// the cache.
pub fn prepare_cache_directory(info: &FetcherInfo) -> Result<(), FetchError> {
    let Some(dir) = info.cache_directory.as_deref().filter(|d| !d.is_empty()) else {
        return Ok(());
    };
    if info
        .items
        .iter()
        .all(|i| i.action == FetchAction::BypassCache)
    {
        return Ok(());
    }
    let path = Path::new(dir);
    std::fs::create_dir_all(path).map_err(|e| FetchError::CacheDirectory {
        path: path.to_path_buf(),
        source: e,
    })?;
    if let Some(user) = info.user.as_deref() {
        if Uid::effective().is_root() {
            let u = lookup(user)?;
            nix::unistd::chown(path, Some(u.uid), Some(u.gid)).map_err(|e| {
                FetchError::CacheDirectory {
                    path: path.to_path_buf(),
                    source: e.into(),
                }
            })?;
        }
    }
    Ok(())
}

/// Runs the rest of the process as `user`: setgid, initgroups (EPERM ignored), setuid, as
/// Mesos's `os::su`. Without root this only succeeds when we already are that user.
/// Call before any thread is started.
pub fn switch_user(user: &str) -> Result<(), FetchError> {
    let u = lookup(user)?;
    if Uid::effective() == u.uid && Uid::current() == u.uid {
        return Ok(());
    }
    let fail = |what: &str, e: nix::Error| FetchError::SwitchUser {
        user: user.to_string(),
        reason: format!("{what} failed: {e}"),
    };
    nix::unistd::setgid(u.gid).map_err(|e| fail("setgid", e))?;
    let name = CString::new(user).map_err(|_| FetchError::SwitchUser {
        user: user.to_string(),
        reason: "the name contains a NUL byte".into(),
    })?;
    match nix::unistd::initgroups(&name, u.gid) {
        Ok(()) | Err(nix::Error::EPERM) => {}
        Err(e) => return Err(fail("initgroups", e)),
    }
    nix::unistd::setuid(u.uid).map_err(|e| fail("setuid", e))?;
    Ok(())
}
