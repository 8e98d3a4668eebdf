//! Deterministic seed data: a realistic task history generated from a fixed random seed.

use chrono::{DateTime, Duration, DurationRound, Utc};

use crate::model::{Task, TaskAction, TaskStatus};

/// The tasks an emulator starts with.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
#[non_exhaustive]
pub enum Seed {
    /// A deterministic history: 320 tasks in `cn-hangzhou`, 24 in `cn-shanghai` and 12 in
    /// `cn-beijing` (each only when that region is configured), across every action and status,
    /// created over the 30 days before the emulator started (minute-aligned). Task ids and
    /// resource ids are the same on every run; times are relative to the start.
    #[default]
    Default,
    /// No tasks.
    Empty,
}

/// The regions seeded by [`Seed::Default`] and how many tasks each gets.
const SEEDED: [(&str, usize); 3] = [
    ("cn-hangzhou", 320),
    ("cn-shanghai", 24),
    ("cn-beijing", 12),
];

const RNG_SEED: u64 = 0x2014_0526;

fn random_id(rng: &mut fastrand::Rng, prefix: &str) -> String {
    const ALPHABET: &[u8] = b"abcdefghijklmnopqrstuvwxyz0123456789";
    let mut id = String::with_capacity(prefix.len() + 20);
    id.push_str(prefix);
    for _ in 0..20 {
        id.push(char::from(ALPHABET[rng.usize(..ALPHABET.len())]));
    }
    id
}

/// Picks from `(weight, value)` pairs.
fn weighted<T: Clone>(rng: &mut fastrand::Rng, choices: &[(u32, T)]) -> T {
    let total: u32 = choices.iter().map(|(w, _)| w).sum();
    let mut roll = rng.u32(..total);
    for (weight, value) in choices {
        if roll < *weight {
            return value.clone();
        }
        roll -= weight;
    }
    choices[choices.len() - 1].1.clone()
}

/// The seed tasks for `seed`, as `(region, task)` pairs, for regions accepted by `has_region`.
pub(crate) fn tasks(
    seed: Seed,
    now: DateTime<Utc>,
    has_region: impl Fn(&str) -> bool,
) -> Vec<(&'static str, Task)> {
    if seed == Seed::Empty {
        return Vec::new();
    }
    let now = now.duration_trunc(Duration::minutes(1)).unwrap_or(now);
    let mut rng = fastrand::Rng::with_seed(RNG_SEED);
    let groups: Vec<String> = (0..6).map(|_| random_id(&mut rng, "tg-")).collect();
    let mut out = Vec::new();
    for (region, count) in SEEDED {
        // Draw every region's tasks, even a skipped one's, so the others stay the same.
        for _ in 0..count {
            let task = one_task(&mut rng, now, &groups);
            if has_region(region) {
                out.push((region, task));
            }
        }
    }
    out
}

fn one_task(rng: &mut fastrand::Rng, now: DateTime<Utc>, groups: &[String]) -> Task {
    use TaskAction::*;
    use TaskStatus::*;
    let action = weighted(
        rng,
        &[
            (35, ImportImage),
            (25, ExportImage),
            (20, RedeployInstance),
            (10, ModifyDiskSpec),
            (10, ArchiveSnapshot),
        ],
    );
    let status = weighted(
        rng,
        &[
            (70, Finished),
            (8, Processing),
            (8, Failed),
            (5, Waiting),
            (5, Deleted),
            (4, Paused),
        ],
    );
    let task_id = random_id(rng, "t-");
    let resource_prefix = match action {
        ImportImage | ExportImage => "m-",
        RedeployInstance => "i-",
        ModifyDiskSpec => "d-",
        _ => "s-",
    };
    let resource_id = random_id(rng, resource_prefix);
    let created = now - Duration::minutes(rng.i64(0..30 * 24 * 60));
    let mut task = Task::new(task_id, action.clone(), status.clone())
        .with_creation_time(created)
        .with_resource_id(resource_id)
        .with_source("user");
    let runs = matches!(status, Processing | Waiting | Paused);
    let cancellable = runs && matches!(action, ImportImage | ExportImage);
    task = task.with_support_cancel(cancellable);
    if !runs {
        let finished = (created + Duration::minutes(rng.i64(1..=180))).min(now);
        task = task.with_finished_time(finished);
    }
    if status == Failed {
        let reason = weighted(
            rng,
            &[
                (3, "The image file could not be read from OSS."),
                (2, "The image format is not supported."),
                (1, "The operation timed out."),
            ],
        );
        task = task.with_failed_reason(reason);
    }
    if rng.u8(..100) < 15 {
        task = task.with_task_group_id(groups[rng.usize(..groups.len())].clone());
    }
    task
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeZone;

    #[test]
    fn default_seed_is_deterministic_and_realistic() {
        let now = Utc.with_ymd_and_hms(2024, 5, 1, 12, 0, 30).unwrap();
        let a = tasks(Seed::Default, now, |_| true);
        let b = tasks(Seed::Default, now, |_| true);
        assert_eq!(a, b);
        assert_eq!(a.len(), 356);
        let hz: Vec<&Task> = a
            .iter()
            .filter(|(r, _)| *r == "cn-hangzhou")
            .map(|(_, t)| t)
            .collect();
        assert_eq!(hz.len(), 320);
        for status in TaskStatus::KNOWN {
            assert!(hz.iter().any(|t| &t.task_status == status), "{status}");
        }
        for action in TaskAction::KNOWN {
            assert!(hz.iter().any(|t| &t.task_action == action), "{action}");
        }
        let finished = hz
            .iter()
            .filter(|t| t.task_status == TaskStatus::Finished)
            .count();
        assert!(finished > hz.len() / 2);
        let start = now - Duration::days(30);
        for (_, t) in &a {
            assert!(t.task_id.starts_with("t-") && t.task_id.len() == 22);
            assert!(t.task_id[2..]
                .bytes()
                .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit()));
            let created = t.creation_time.unwrap();
            assert!(created <= now && created >= start);
            assert_eq!(created.timestamp() % 60, 0);
            let runs = matches!(
                t.task_status,
                TaskStatus::Processing | TaskStatus::Waiting | TaskStatus::Paused
            );
            assert_eq!(t.finished_time.is_none(), runs, "{t:?}");
            if let Some(f) = t.finished_time {
                assert!(f >= created && f <= now);
            }
        }
        assert!(a.iter().any(|(_, t)| t.task_group_id.is_some()));
    }

    #[test]
    fn skipped_regions_do_not_shift_the_others() {
        let now = Utc.with_ymd_and_hms(2024, 5, 1, 12, 0, 0).unwrap();
        let all = tasks(Seed::Default, now, |_| true);
        let beijing_only = tasks(Seed::Default, now, |r| r == "cn-beijing");
        let expected: Vec<_> = all
            .into_iter()
            .filter(|(r, _)| *r == "cn-beijing")
            .collect();
        assert_eq!(beijing_only, expected);
        assert!(tasks(Seed::Empty, now, |_| true).is_empty());
    }
}
