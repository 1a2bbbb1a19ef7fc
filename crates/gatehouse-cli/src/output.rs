//! Standard output that a closed pipe cannot crash.
//!
//! `println!` panics when standard output is a pipe whose reader has gone
//! (`gatehouse eval policies/ --replay FILE | head -1`). A reader that
//! stopped reading has seen what it wanted, so that is a quiet success:
//! the process exits 0 at once, as ripgrep and the coreutils do. Any other
//! write error is reported and exits 2. Every line the CLI prints goes
//! through [`out!`] and [`outln!`], which call [`write`].

use std::io::{self, Write};

/// Writes formatted text to standard output, or ends the process (see the
/// module docs).
pub fn write(text: std::fmt::Arguments<'_>) {
    let mut out = io::stdout().lock();
    if let Err(error) = out.write_fmt(text) {
        end(&error);
    }
}

/// Writes text and flushes, for output written in one piece.
pub fn write_all(text: &str) {
    let mut out = io::stdout().lock();
    if let Err(error) = out.write_all(text.as_bytes()).and_then(|()| out.flush()) {
        end(&error);
    }
}

fn end(error: &io::Error) -> ! {
    if error.kind() == io::ErrorKind::BrokenPipe {
        std::process::exit(0);
    }
    eprintln!("error: cannot write to standard output: {error}");
    std::process::exit(2)
}

/// `print!` through [`write`].
macro_rules! out {
    ($($arg:tt)*) => {
        $crate::output::write(format_args!($($arg)*))
    };
}

/// `println!` through [`write`].
macro_rules! outln {
    () => {
        $crate::output::write(format_args!("\n"))
    };
    ($($arg:tt)*) => {
        $crate::output::write(format_args!("{}\n", format_args!($($arg)*)))
    };
}

pub(crate) use {out, outln};
