//! Writing results: stdout, or a file written atomically (temp file in the same directory,
//! then rename) that is never one of the inputs.

use anyhow::{bail, Context, Result};
use std::io::Write;
use std::path::{Path, PathBuf};

/// Refuse to write over an input file.
pub fn check_not_input(output: &Path, inputs: &[PathBuf]) -> Result<()> {
    let out = std::fs::canonicalize(output).ok();
    for i in inputs {
        let same = match (&out, std::fs::canonicalize(i).ok()) {
            (Some(a), Some(b)) => *a == b,
            _ => false,
        };
        if same {
            bail!("{}: refusing to overwrite an input file", output.display());
        }
    }
    Ok(())
}

/// Write `render`'s bytes to `path` atomically, or to stdout when `path` is None.
pub fn write_output(
    path: Option<&Path>,
    render: impl FnOnce(&mut dyn Write) -> std::io::Result<()>,
) -> Result<()> {
    match path {
        None => {
            let stdout = std::io::stdout();
            let mut lock = stdout.lock();
            match render(&mut lock).and_then(|_| lock.flush()) {
                Ok(()) => Ok(()),
                Err(e) if e.kind() == std::io::ErrorKind::BrokenPipe => Ok(()),
                Err(e) => Err(e.into()),
            }
        }
        Some(path) => {
            let dir = path
                .parent()
                .filter(|p| !p.as_os_str().is_empty())
                .unwrap_or(Path::new("."));
            let mut tmp = tempfile::NamedTempFile::new_in(dir)
                .with_context(|| format!("{}: cannot create a temporary file", dir.display()))?;
            {
                let mut w = std::io::BufWriter::new(tmp.as_file_mut());
                render(&mut w).with_context(|| format!("{}: write failed", path.display()))?;
                w.flush()?;
            }
            readable_by_all(tmp.as_file());
            tmp.as_file().sync_all().ok();
            tmp.persist(path)
                .map_err(|e| anyhow::anyhow!("{}: cannot write: {}", path.display(), e.error))?;
            Ok(())
        }
    }
}

/// Temporary files are created private (0600); a written result gets the usual 0644.
pub fn readable_by_all(file: &std::fs::File) {
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        let _ = file.set_permissions(std::fs::Permissions::from_mode(0o644));
    }
    #[cfg(not(unix))]
    let _ = file;
}
