//! Progress on stderr: seeding bars and step spinners (hidden with --json or off a terminal).

use super::*;

/// One progress bar per table while seeding, on stderr (hidden when not a terminal).
pub struct SeedBars {
    multi: MultiProgress,
    bars: Mutex<Vec<(String, ProgressBar)>>,
    hidden: bool,
}

impl SeedBars {
    pub fn new(hidden: bool) -> Self {
        SeedBars {
            multi: MultiProgress::new(),
            bars: Mutex::new(Vec::new()),
            hidden,
        }
    }

    pub fn on(&self, event: SeedEvent) {
        if self.hidden {
            return;
        }
        let mut bars = self.bars.lock().expect("progress lock");
        match event {
            SeedEvent::Planned { tables } => {
                let style = ProgressStyle::with_template(
                    "{prefix:>22} [{bar:30.cyan/blue}] {pos:>9}/{len:9} {per_sec:>12} {eta:>4}",
                )
                .expect("valid template")
                .progress_chars("=> ");
                for (table, rows) in tables {
                    let bar = self.multi.add(ProgressBar::new(rows));
                    bar.set_style(style.clone());
                    bar.set_prefix(table.clone());
                    bars.push((table, bar));
                }
            }
            SeedEvent::Rows { table, rows } => {
                if let Some((_, bar)) = bars.iter().find(|(t, _)| *t == table) {
                    bar.inc(rows);
                }
            }
            SeedEvent::Redis { keys } => {
                if !bars.iter().any(|(t, _)| t == "redis keys") {
                    let bar = self.multi.add(ProgressBar::new_spinner());
                    bar.set_style(
                        ProgressStyle::with_template("{prefix:>22} {spinner} {pos} keys")
                            .expect("valid template"),
                    );
                    bar.set_prefix("redis keys");
                    bars.push(("redis keys".into(), bar));
                }
                if let Some((_, bar)) = bars.iter().find(|(t, _)| t == "redis keys") {
                    bar.inc(keys);
                }
            }
        }
    }

    pub fn finish(&self) {
        for (_, bar) in self.bars.lock().expect("progress lock").iter() {
            bar.finish();
        }
    }
}

/// A spinner naming the current step of a multi-step job.
pub struct Spinner {
    bar: Option<ProgressBar>,
}

impl Spinner {
    pub fn new(hidden: bool) -> Self {
        let bar = (!hidden).then(|| {
            let bar = ProgressBar::new_spinner();
            bar.enable_steady_tick(Duration::from_millis(120));
            bar
        });
        Spinner { bar }
    }

    pub fn step(&self, message: &str) {
        match &self.bar {
            Some(bar) => bar.println(format!("  {message}")),
            None => eprintln!("{message}"),
        }
        if let Some(bar) = &self.bar {
            bar.set_message(message.to_owned());
        }
    }

    pub fn finish(&self) {
        if let Some(bar) = &self.bar {
            bar.finish_and_clear();
        }
    }
}
