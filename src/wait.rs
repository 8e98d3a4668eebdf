//! The task waiter: [`Client::wait_for_tasks`] polls `DescribeTasks` until every task is in a
//! terminal status.
//!
//! Between polls it sleeps a jittered, growing interval (default from 2 s, times 1.5 per poll,
//! up to 30 s; each sleep is drawn uniformly from the upper half of the interval). It gives up
//! after the overall timeout (default 30 minutes) with [`Error::WaitTimeout`], which carries the
//! last state seen of every task. A task the service does not return is never taken as
//! finished: once it has been missing from [`WaitOptions::not_found_polls`] consecutive polls
//! (default 2, since a task may take a moment to appear after it is created) the waiter fails
//! with [`Error::TasksNotFound`]. More than 100 ids are polled in batches of 100.

use std::collections::HashMap;
use std::fmt;
use std::sync::Arc;
use std::time::{Duration, Instant};

use futures::future::BoxFuture;

use crate::client::Client;
use crate::error::{Error, ValidationError, WaitTimeoutError};
use crate::model::{Task, TaskStatus};
use crate::request::{DescribeTasksRequest, MAX_IDS};

/// A change the waiter observed, passed to the progress callback.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct TaskProgress {
    /// The task as just returned by the service.
    pub task: Task,
    /// Its status at the previous poll (`None` at the first sighting).
    pub previous: Option<TaskStatus>,
    /// How many of the watched tasks are terminal now.
    pub terminal: usize,
    /// How many tasks are watched.
    pub total: usize,
}

/// Time as the waiter sees it; replace it to test waits without waiting.
pub trait WaitClock: Send + Sync + fmt::Debug {
    /// The current instant.
    fn now(&self) -> Instant;
    /// Sleeps for `duration`.
    fn sleep(&self, duration: Duration) -> BoxFuture<'static, ()>;
}

/// The real clock: `Instant::now` and `tokio::time::sleep`.
#[derive(Debug, Clone, Copy, Default)]
pub struct TokioClock;

impl WaitClock for TokioClock {
    fn now(&self) -> Instant {
        Instant::now()
    }

    fn sleep(&self, duration: Duration) -> BoxFuture<'static, ()> {
        Box::pin(tokio::time::sleep(duration))
    }
}

type ProgressFn = Arc<dyn Fn(&TaskProgress) + Send + Sync>;

/// How [`Client::wait_for_tasks`] waits. Every setting has a documented default.
#[derive(Clone)]
pub struct WaitOptions {
    terminal: Vec<TaskStatus>,
    initial_interval: Duration,
    max_interval: Duration,
    timeout: Duration,
    not_found_polls: u32,
    progress: Option<ProgressFn>,
    clock: Arc<dyn WaitClock>,
}

impl fmt::Debug for WaitOptions {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("WaitOptions")
            .field("terminal", &self.terminal)
            .field("initial_interval", &self.initial_interval)
            .field("max_interval", &self.max_interval)
            .field("timeout", &self.timeout)
            .field("not_found_polls", &self.not_found_polls)
            .field("progress", &self.progress.is_some())
            .field("clock", &self.clock)
            .finish()
    }
}

impl Default for WaitOptions {
    fn default() -> Self {
        Self {
            terminal: vec![
                TaskStatus::Finished,
                TaskStatus::Failed,
                TaskStatus::Deleted,
            ],
            initial_interval: Duration::from_secs(2),
            max_interval: Duration::from_secs(30),
            timeout: Duration::from_secs(30 * 60),
            not_found_polls: 2,
            progress: None,
            clock: Arc::new(TokioClock),
        }
    }
}

impl WaitOptions {
    /// The defaults.
    pub fn new() -> Self {
        Self::default()
    }

    /// The statuses that end the wait. Default: `Finished`, `Failed`, `Deleted`.
    pub fn terminal_statuses(mut self, statuses: impl IntoIterator<Item = TaskStatus>) -> Self {
        self.terminal = statuses.into_iter().collect();
        self
    }

    /// The first interval between polls. Default 2 s.
    pub fn initial_interval(mut self, interval: Duration) -> Self {
        self.initial_interval = interval;
        self
    }

    /// The largest interval between polls. Default 30 s.
    pub fn max_interval(mut self, interval: Duration) -> Self {
        self.max_interval = interval;
        self
    }

    /// How long to wait in all. Default 30 minutes.
    pub fn timeout(mut self, timeout: Duration) -> Self {
        self.timeout = timeout;
        self
    }

    /// After how many consecutive polls without a task it is reported as not found (at least
    /// 1). Default 2.
    pub fn not_found_polls(mut self, polls: u32) -> Self {
        self.not_found_polls = polls.max(1);
        self
    }

    /// Called for every status change seen (and for every task's first sighting).
    pub fn on_progress(mut self, callback: impl Fn(&TaskProgress) + Send + Sync + 'static) -> Self {
        self.progress = Some(Arc::new(callback));
        self
    }

    /// Replaces the clock (for tests).
    pub fn clock(mut self, clock: impl WaitClock + 'static) -> Self {
        self.clock = Arc::new(clock);
        self
    }

    fn is_terminal(&self, status: &TaskStatus) -> bool {
        self.terminal.contains(status)
    }

    /// The interval after `interval`: times 1.5, capped.
    fn grow(&self, interval: Duration) -> Duration {
        interval.mul_f64(1.5).min(self.max_interval)
    }
}

impl Client {
    /// Polls until every task in `task_ids` is terminal and returns them, in the order given
    /// (duplicates removed). See the [module docs](crate::wait).
    ///
    /// ```no_run
    /// use aliyun_ecs_tasks::{Client, TaskStatus};
    /// use aliyun_ecs_tasks::wait::WaitOptions;
    ///
    /// # async fn run(client: Client) -> Result<(), aliyun_ecs_tasks::Error> {
    /// let options = WaitOptions::new().on_progress(|p| {
    ///     println!("{} is now {} ({}/{} done)", p.task.task_id, p.task.task_status, p.terminal, p.total)
    /// });
    /// let tasks = client.wait_for_tasks("cn-hangzhou", ["t-123", "t-456"], options).await?;
    /// let failed = tasks.iter().filter(|t| t.task_status == TaskStatus::Failed).count();
    /// # Ok(()) }
    /// ```
    pub async fn wait_for_tasks<I, S>(
        &self,
        region_id: &str,
        task_ids: I,
        options: WaitOptions,
    ) -> Result<Vec<Task>, Error>
    where
        I: IntoIterator<Item = S>,
        S: Into<String>,
    {
        let mut ids: Vec<String> = Vec::new();
        for id in task_ids {
            let id = id.into();
            if !ids.contains(&id) {
                ids.push(id);
            }
        }
        if ids.is_empty() {
            return Err(ValidationError::new("TaskIds", "", "at least one task id").into());
        }
        // Validate the region and every id before the first poll.
        let requests: Vec<DescribeTasksRequest> = ids
            .chunks(MAX_IDS)
            .map(|chunk| {
                DescribeTasksRequest::builder()
                    .region_id(region_id)
                    .task_ids(chunk.iter().cloned())
                    .page_size(100)
                    .build()
            })
            .collect::<Result<_, _>>()?;

        let clock = options.clock.clone();
        let started = clock.now();
        let mut last: HashMap<String, Task> = HashMap::with_capacity(ids.len());
        let mut missing: HashMap<String, u32> = HashMap::new();
        let mut interval = options.initial_interval;
        loop {
            let mut returned: HashMap<String, Task> = HashMap::with_capacity(ids.len());
            for request in &requests {
                let tasks = self
                    .describe_all_tasks_with_limit(request.clone(), 10 * MAX_IDS)
                    .await?;
                for task in tasks {
                    if request.task_ids().contains(&task.task_id) {
                        returned.insert(task.task_id.clone(), task);
                    }
                }
            }
            let terminal = returned
                .values()
                .filter(|t| options.is_terminal(&t.task_status))
                .count();
            for id in &ids {
                match returned.get(id) {
                    Some(task) => {
                        missing.remove(id);
                        let previous = last.get(id).map(|t| t.task_status.clone());
                        if previous.as_ref() != Some(&task.task_status) {
                            if let Some(progress) = &options.progress {
                                progress(&TaskProgress {
                                    task: task.clone(),
                                    previous,
                                    terminal,
                                    total: ids.len(),
                                });
                            }
                        }
                    }
                    None => *missing.entry(id.clone()).or_insert(0) += 1,
                }
            }
            last.extend(returned);
            let not_found: Vec<String> = ids
                .iter()
                .filter(|id| {
                    missing
                        .get(*id)
                        .is_some_and(|n| *n >= options.not_found_polls)
                })
                .cloned()
                .collect();
            if !not_found.is_empty() {
                return Err(Error::TasksNotFound {
                    task_ids: not_found,
                });
            }
            if missing.is_empty() && terminal == ids.len() {
                return Ok(ids.iter().filter_map(|id| last.remove(id)).collect());
            }
            let waited = clock.now().saturating_duration_since(started);
            if waited >= options.timeout {
                return Err(Error::WaitTimeout(Box::new(WaitTimeoutError {
                    waited,
                    last_seen: ids
                        .iter()
                        .map(|id| (id.clone(), last.get(id).cloned()))
                        .collect(),
                })));
            }
            let jittered = interval.mul_f64(0.5 + fastrand::f64() * 0.5);
            clock.sleep(jittered.min(options.timeout - waited)).await;
            interval = options.grow(interval);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn interval_grows_to_the_cap() {
        let o = WaitOptions::default();
        let mut i = o.initial_interval;
        let mut seen = vec![i];
        for _ in 0..10 {
            i = o.grow(i);
            seen.push(i);
        }
        assert_eq!(seen[1], Duration::from_secs(3));
        assert_eq!(*seen.last().unwrap(), Duration::from_secs(30));
        assert!(seen.windows(2).all(|w| w[0] <= w[1]));
    }

    #[test]
    fn default_terminal_statuses() {
        let o = WaitOptions::default();
        assert!(o.is_terminal(&TaskStatus::Finished));
        assert!(o.is_terminal(&TaskStatus::Failed));
        assert!(o.is_terminal(&TaskStatus::Deleted));
        assert!(!o.is_terminal(&TaskStatus::Processing));
        assert!(!o.is_terminal(&TaskStatus::Waiting));
    }
}
