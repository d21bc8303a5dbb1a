//! Archives with exactly the entries a test asks for, hostile ones included (names written
//! raw, links to anywhere): the fetcher's tests and the fuzz targets' seed corpora build
//! theirs with [`tar_bytes`], [`zip_bytes`] and [`gzip`].

use std::io::Write;

/// One entry of [`tar_bytes`]: a file (name, data, mode), a directory (name, mode), or a
/// symbolic or hard link (name, target).
pub enum Entry<'a> {
    File(&'a str, &'a [u8], u32),
    Dir(&'a str, u32),
    Symlink(&'a str, &'a str),
    Hardlink(&'a str, &'a str),
}

/// A tar archive with exactly these entries; paths are written raw (no sanitising), so
/// hostile names can be built.
pub fn tar_bytes(entries: &[Entry]) -> Vec<u8> {
    let mut b = tar::Builder::new(Vec::new());
    for e in entries {
        let mut h = tar::Header::new_gnu();
        let (name, data): (&str, &[u8]) = match e {
            Entry::File(n, d, mode) => {
                h.set_entry_type(tar::EntryType::Regular);
                h.set_mode(*mode);
                h.set_size(d.len() as u64);
                (n, d)
            }
            Entry::Dir(n, mode) => {
                h.set_entry_type(tar::EntryType::Directory);
                h.set_mode(*mode);
                h.set_size(0);
                (n, &[])
            }
            Entry::Symlink(n, target) | Entry::Hardlink(n, target) => {
                h.set_entry_type(if matches!(e, Entry::Symlink(..)) {
                    tar::EntryType::Symlink
                } else {
                    tar::EntryType::Link
                });
                h.set_mode(0o777);
                h.set_size(0);
                let raw = &mut h.as_old_mut().linkname;
                raw[..target.len()].copy_from_slice(target.as_bytes());
                (n, &[])
            }
        };
        h.set_mtime(1_000_000_000);
        {
            let raw = &mut h.as_old_mut().name;
            raw.fill(0);
            raw[..name.len()].copy_from_slice(name.as_bytes());
        }
        h.set_cksum();
        b.append(&h, data).unwrap();
    }
    b.into_inner().unwrap()
}

/// A zip with directories `dirs`, `(name, data, unix mode)` files (deflated) and symlinks
/// `(name, target)`, in that order.
pub fn zip_bytes(
    files: &[(&str, &[u8], u32)],
    dirs: &[&str],
    symlinks: &[(&str, &str)],
) -> Vec<u8> {
    let mut w = zip::ZipWriter::new(std::io::Cursor::new(Vec::new()));
    for d in dirs {
        w.add_directory(*d, zip::write::SimpleFileOptions::default())
            .unwrap();
    }
    for (name, data, mode) in files {
        let opts = zip::write::SimpleFileOptions::default()
            .compression_method(zip::CompressionMethod::Deflated)
            .unix_permissions(*mode);
        w.start_file(*name, opts).unwrap();
        w.write_all(data).unwrap();
    }
    for (name, target) in symlinks {
        w.add_symlink(*name, *target, zip::write::SimpleFileOptions::default())
            .unwrap();
    }
    w.finish().unwrap().into_inner()
}

/// `data` gzip-compressed.
pub fn gzip(data: &[u8]) -> Vec<u8> {
    let mut e = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::default());
    e.write_all(data).unwrap();
    e.finish().unwrap()
}
