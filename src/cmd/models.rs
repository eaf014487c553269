//! `lecturegen models`: the background backends, what each needs, and whether it is ready.

use std::process::ExitCode;

use anyhow::Result;
use lecturegen::background::sd;
use lecturegen::config::{BackendName, Config};

pub fn run(root: &std::path::Path) -> Result<ExitCode> {
    let config = Config::load(root)?;
    let weights = config.diffusion.weights.as_ref().map(|w| root.join(w));
    for name in BackendName::ALL {
        // Data, not messages: this listing goes to stdout.
        println!("{:<10} {}", name.as_str(), name.describe());
        if let Some(variant) = sd::variant_of(name) {
            match sd::locate(&variant, weights.as_deref()) {
                Ok(w) => println!("{:<10} ready: weights in {}", "", w.root.display()),
                Err(e) => {
                    println!("{:<10} not ready:", "");
                    for line in e.to_string().lines().skip(1) {
                        println!("{:<10} {line}", "");
                    }
                }
            }
        }
        if name == BackendName::Remote {
            let urls = config.remote.url.list();
            if urls.is_empty() {
                println!("{:<10} not set up: [remote] url = \"http://host:port\"", "");
            } else {
                println!("{:<10} servers: {}", "", urls.join(", "));
            }
        }
    }
    Ok(ExitCode::SUCCESS)
}
