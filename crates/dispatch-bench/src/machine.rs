//! What the numbers were measured on: the machine, the toolchain, and whether other work (other
//! people's compilations) was competing for the CPU while they were taken.

use std::path::Path;
use std::process::Command;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

/// The machine and toolchain.
#[derive(Debug, Clone)]
pub struct Machine {
    /// CPU model from `/proc/cpuinfo`.
    pub cpu: String,
    /// Logical CPUs available to this process.
    pub cores: usize,
    /// `MemTotal` from `/proc/meminfo`, in MiB.
    pub memory_mib: u64,
    /// Kernel release.
    pub kernel: String,
    /// `rustc --version`.
    pub rustc: String,
    /// When the run started (UTC).
    pub date: String,
    /// The commit measured, with `-dirty` when the measured code (the handlers, the fakes, the
    /// manifests) has uncommitted changes.
    pub commit: String,
    /// 1-, 5- and 15-minute load averages at the start.
    pub loadavg: String,
}

fn read(path: &str) -> String {
    std::fs::read_to_string(path).unwrap_or_default()
}

fn output(program: &str, args: &[&str], dir: &Path) -> Option<String> {
    let out = Command::new(program).args(args).current_dir(dir).output().ok()?;
    out.status.success().then(|| String::from_utf8_lossy(&out.stdout).trim().to_owned())
}

impl Machine {
    /// Describes this machine; `root` is the workspace, for the commit.
    pub fn describe(root: &Path) -> Self {
        let cpuinfo = read("/proc/cpuinfo");
        let cpu = cpuinfo
            .lines()
            .find_map(|l| {
                l.strip_prefix("model name").and_then(|r| r.split_once(':')).map(|(_, v)| v.trim().to_owned())
            })
            .unwrap_or_else(|| "unknown".to_owned());
        let memory_kib: u64 = read("/proc/meminfo")
            .lines()
            .find_map(|l| l.strip_prefix("MemTotal:"))
            .and_then(|v| v.split_whitespace().next()?.parse().ok())
            .unwrap_or_default();
        let commit = output("git", &["rev-parse", "--short", "HEAD"], root).unwrap_or_else(|| "unknown".to_owned());
        let measured = ["Cargo.toml", "Cargo.lock", "dispatch-core", "incoming", "triage", "crates/dispatch-fakes"];
        let mut status = vec!["status", "--porcelain", "--untracked-files=no", "--"];
        status.extend(measured);
        let dirty = output("git", &status, root).is_some_and(|s| !s.is_empty());
        Self {
            cpu,
            cores: std::thread::available_parallelism().map_or(1, usize::from),
            memory_mib: memory_kib / 1024,
            kernel: read("/proc/sys/kernel/osrelease").trim().to_owned(),
            rustc: output("rustc", &["--version"], root).unwrap_or_else(|| "unknown".to_owned()),
            date: chrono::Utc::now().format("%Y-%m-%d %H:%M UTC").to_string(),
            commit: if dirty { format!("{commit}-dirty") } else { commit },
            loadavg: loadavg(),
        }
    }
}

/// The three load averages, as `/proc/loadavg` shows them.
pub fn loadavg() -> String {
    read("/proc/loadavg").split_whitespace().take(3).collect::<Vec<_>>().join(" ")
}

/// Processes named `rustc` running now (other builds on this machine).
pub fn compilers_running() -> usize {
    let Ok(entries) = std::fs::read_dir("/proc") else { return 0 };
    entries
        .flatten()
        .filter(|e| e.file_name().to_string_lossy().bytes().all(|b| b.is_ascii_digit()))
        .filter(|e| std::fs::read_to_string(e.path().join("comm")).is_ok_and(|c| c.trim() == "rustc"))
        .count()
}

/// Busy and total CPU time of the whole machine so far, in clock ticks (`/proc/stat`).
fn cpu_ticks() -> (u64, u64) {
    let stat = read("/proc/stat");
    let Some(line) = stat.lines().find(|l| l.starts_with("cpu ")) else { return (0, 0) };
    let ticks: Vec<u64> = line.split_whitespace().skip(1).filter_map(|v| v.parse().ok()).collect();
    // user nice system idle iowait irq softirq steal (guest time is already in user).
    let idle = ticks.get(3).copied().unwrap_or_default() + ticks.get(4).copied().unwrap_or_default();
    let total: u64 = ticks.iter().take(8).sum();
    (total - idle, total)
}

/// CPU time of this process so far, its reaped children (the cold-started functions) included, in
/// clock ticks (`/proc/self/stat`: utime, stime, cutime, cstime).
fn own_ticks() -> u64 {
    let stat = read("/proc/self/stat");
    let Some((_, rest)) = stat.rsplit_once(") ") else { return 0 };
    rest.split_whitespace().skip(11).take(4).filter_map(|v| v.parse::<u64>().ok()).sum()
}

/// One sample: when, compilers running, machine CPU ticks (busy, total), this process's ticks.
type Sample = (Instant, usize, (u64, u64), u64);

/// Samples, four times a second, how many compilers are running and how busy the machine's CPUs
/// are, so that each measurement can say whether it shared the CPU with someone's build.
#[derive(Debug)]
pub struct Activity {
    samples: Arc<Mutex<Vec<Sample>>>,
    stop: Arc<AtomicBool>,
    thread: Option<JoinHandle<()>>,
}

/// Competition for the CPU during one measurement.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Busy {
    /// Share of samples during which at least one compiler ran.
    pub share: f64,
    /// Most compilers seen at once.
    pub most: usize,
    /// Share of the machine's CPU time (all cores) that was busy, and the part of it that was
    /// this benchmark's (the spawned functions included).
    pub cpu: Option<(f64, f64)>,
}

impl Activity {
    /// Starts sampling.
    pub fn start() -> Self {
        let samples: Arc<Mutex<Vec<Sample>>> = Arc::default();
        let stop = Arc::new(AtomicBool::new(false));
        let (s, halt) = (samples.clone(), stop.clone());
        let thread = std::thread::Builder::new()
            .name("activity".into())
            .spawn(move || {
                while !halt.load(Ordering::Relaxed) {
                    let count = compilers_running();
                    let (ticks, own) = (cpu_ticks(), own_ticks());
                    if let Ok(mut samples) = s.lock() {
                        samples.push((Instant::now(), count, ticks, own));
                    }
                    std::thread::sleep(Duration::from_millis(250));
                }
            })
            .ok();
        Self { samples, stop, thread }
    }

    /// Competition between `from` and `to`.
    pub fn between(&self, from: Instant, to: Instant) -> Busy {
        let samples = self.samples.lock().map(|s| s.clone()).unwrap_or_default();
        let mut during: Vec<&Sample> = samples.iter().filter(|(t, ..)| *t >= from && *t <= to).collect();
        if during.is_empty() {
            // Shorter than the sampling interval: the sample nearest its end stands for it.
            during.extend(samples.iter().min_by_key(|(t, ..)| if *t > to { *t - to } else { to - *t }));
        }
        let compilers: Vec<usize> = during.iter().map(|(_, c, ..)| *c).collect();
        // CPU use from the last sample before the start to the first after the end.
        let before = samples.iter().rev().find(|(t, ..)| *t <= from).or(samples.first());
        let after = samples.iter().find(|(t, ..)| *t >= to).or(samples.last());
        let cpu = before.zip(after).and_then(|((_, _, (b0, t0), o0), (_, _, (b1, t1), o1))| {
            let total = t1.checked_sub(*t0).filter(|t| *t > 0)? as f64;
            Some((b1.saturating_sub(*b0) as f64 / total, o1.saturating_sub(*o0) as f64 / total))
        });
        Busy {
            share: if compilers.is_empty() {
                0.0
            } else {
                compilers.iter().filter(|c| **c > 0).count() as f64 / compilers.len() as f64
            },
            most: compilers.iter().copied().max().unwrap_or_default(),
            cpu,
        }
    }
}

impl Drop for Activity {
    fn drop(&mut self) {
        self.stop.store(true, Ordering::Relaxed);
        if let Some(thread) = self.thread.take() {
            let _ = thread.join();
        }
    }
}

/// Share of the machine's CPU (all cores) busy over the next `window`.
fn busy_over(window: Duration) -> f64 {
    let (b0, t0) = cpu_ticks();
    std::thread::sleep(window);
    let (b1, t1) = cpu_ticks();
    if t1 > t0 { b1.saturating_sub(b0) as f64 / (t1 - t0) as f64 } else { 0.0 }
}

/// Waits up to `limit` for other work to stop: no compiler running and the machine's CPUs at most
/// 10% busy over 3 seconds. Returns whether the machine is quiet.
pub fn wait_until_quiet(limit: Duration) -> bool {
    let until = Instant::now() + limit;
    loop {
        let running = compilers_running();
        let busy = busy_over(Duration::from_secs(3));
        if running == 0 && busy <= 0.10 {
            return true;
        }
        if Instant::now() >= until {
            return false;
        }
        eprintln!("waiting for a quiet machine: {running} compiler(s) running, CPUs {:.0}% busy…", busy * 100.0);
        std::thread::sleep(Duration::from_secs(7));
    }
}
