//! The task store: tasks per region kept in response order, the `DescribeTasks` filters and
//! pagination, and status schedules that move tasks along as they are polled.

use std::cmp::Ordering;
use std::collections::{HashMap, HashSet, VecDeque};

use chrono::{DateTime, Utc};

use crate::model::{Task, TaskAction, TaskStatus};

/// A scripted sequence of status changes for one task, driven by polling.
///
/// Each step is `(status, after_polls)`: once the task has been returned by `after_polls`
/// `DescribeTasks` responses in its current status, it moves to `status` (the response that makes
/// the count still shows the old status). A step with `after_polls == 0` applies at once. Moving to
/// `Finished`, `Failed` or `Deleted` sets the task's finished time to the emulator clock's now;
/// moving to any other status clears it.
///
/// ```
/// use aliyun_ecs_tasks::emulator::StatusSchedule;
/// use aliyun_ecs_tasks::TaskStatus;
///
/// // Waiting for 2 polls, then Processing for 3 polls, then Finished.
/// let schedule = StatusSchedule::new()
///     .then(TaskStatus::Processing, 2)
///     .then(TaskStatus::Finished, 3);
/// assert_eq!(schedule.steps().len(), 2);
/// ```
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct StatusSchedule {
    steps: Vec<(TaskStatus, u32)>,
}

impl StatusSchedule {
    /// An empty schedule (the task keeps its status).
    pub fn new() -> Self {
        Self::default()
    }

    /// Appends a step: after `after_polls` more responses, the task moves to `status`.
    pub fn then(mut self, status: TaskStatus, after_polls: u32) -> Self {
        self.steps.push((status, after_polls));
        self
    }

    /// The steps, in order.
    pub fn steps(&self) -> &[(TaskStatus, u32)] {
        &self.steps
    }
}

/// Sets a task's status and keeps its finished time consistent with it.
pub(crate) fn apply_status(task: &mut Task, status: TaskStatus, now: DateTime<Utc>) {
    task.finished_time = match status {
        TaskStatus::Finished | TaskStatus::Failed | TaskStatus::Deleted => Some(now),
        _ => None,
    };
    task.task_status = status;
}

#[derive(Debug, Clone)]
struct StoredTask {
    task: Task,
    pending: VecDeque<(TaskStatus, u32)>,
    polls: u32,
}

impl StoredTask {
    fn new(task: Task, schedule: StatusSchedule, now: DateTime<Utc>) -> Self {
        let mut stored = Self {
            task,
            pending: schedule.steps.into(),
            polls: 0,
        };
        stored.settle(now);
        stored
    }

    /// Counts one response that returned the task, then applies any step that is due.
    fn polled(&mut self, now: DateTime<Utc>) {
        if !self.pending.is_empty() {
            self.polls = self.polls.saturating_add(1);
            self.settle(now);
        }
    }

    fn settle(&mut self, now: DateTime<Utc>) {
        while self
            .pending
            .front()
            .is_some_and(|(_, after)| self.polls >= *after)
        {
            let Some((status, _)) = self.pending.pop_front() else {
                break;
            };
            self.polls = 0;
            apply_status(&mut self.task, status, now);
        }
    }
}

/// Response order: newest creation time first (tasks without one last), then task id ascending.
fn response_order(a: &Task, b: &Task) -> Ordering {
    b.creation_time
        .cmp(&a.creation_time)
        .then_with(|| a.task_id.cmp(&b.task_id))
}

/// The filters and page of one `DescribeTasks` call, already validated.
#[derive(Debug, Clone, Default)]
pub(crate) struct Query {
    /// `TaskIds`: only these ids.
    pub(crate) task_ids: Option<HashSet<String>>,
    /// `TaskAction`: only this action (compared after loose decoding).
    pub(crate) action: Option<TaskAction>,
    /// `TaskStatus`: only this status (the handler passes only filterable ones).
    pub(crate) status: Option<TaskStatus>,
    /// `StartTime`: creation time at or after.
    pub(crate) start: Option<DateTime<Utc>>,
    /// `EndTime`: creation time at or before.
    pub(crate) end: Option<DateTime<Utc>>,
    /// `ResourceIds.N`: only tasks on one of these resources.
    pub(crate) resource_ids: Option<HashSet<String>>,
    /// `TaskGroupId`: only tasks of this group.
    pub(crate) task_group_id: Option<String>,
    /// 1-based page number.
    pub(crate) page_number: u32,
    /// Page size (1..=100).
    pub(crate) page_size: u32,
}

impl Query {
    fn matches(&self, task: &Task) -> bool {
        if let Some(ids) = &self.task_ids {
            if !ids.contains(&task.task_id) {
                return false;
            }
        }
        if let Some(action) = &self.action {
            if &task.task_action != action {
                return false;
            }
        }
        if let Some(status) = &self.status {
            if &task.task_status != status {
                return false;
            }
        }
        if self.start.is_some() || self.end.is_some() {
            let Some(created) = task.creation_time else {
                return false;
            };
            if self.start.is_some_and(|start| created < start)
                || self.end.is_some_and(|end| created > end)
            {
                return false;
            }
        }
        if let Some(resources) = &self.resource_ids {
            if !task
                .resource_id
                .as_ref()
                .is_some_and(|r| resources.contains(r))
            {
                return false;
            }
        }
        if let Some(group) = &self.task_group_id {
            if task.task_group_id.as_ref() != Some(group) {
                return false;
            }
        }
        true
    }
}

/// One page of results.
#[derive(Debug, Clone, Default, PartialEq)]
pub(crate) struct PageResult {
    /// How many tasks match, across all pages.
    pub(crate) total_count: u64,
    /// The tasks on the requested page, as they were before this poll advanced any schedule.
    pub(crate) tasks: Vec<Task>,
}

/// All tasks, per region, each region's list kept in response order.
#[derive(Debug, Default)]
pub(crate) struct TaskStore {
    regions: HashMap<String, Vec<StoredTask>>,
}

impl TaskStore {
    /// Adds a task (replacing any task with the same id, in any region).
    pub(crate) fn insert(
        &mut self,
        region_id: &str,
        task: Task,
        schedule: StatusSchedule,
        now: DateTime<Utc>,
    ) {
        self.remove(&task.task_id);
        let list = self.regions.entry(region_id.to_owned()).or_default();
        let at = list.partition_point(|t| response_order(&t.task, &task) == Ordering::Less);
        list.insert(at, StoredTask::new(task, schedule, now));
    }

    fn remove(&mut self, task_id: &str) {
        for list in self.regions.values_mut() {
            list.retain(|t| t.task.task_id != task_id);
        }
    }

    /// Removes every task.
    pub(crate) fn clear(&mut self) {
        self.regions.clear();
    }

    /// The number of tasks in a region.
    pub(crate) fn count(&self, region_id: &str) -> usize {
        self.regions.get(region_id).map_or(0, Vec::len)
    }

    /// A copy of the task with this id, in any region.
    pub(crate) fn get(&self, task_id: &str) -> Option<Task> {
        self.regions
            .values()
            .flatten()
            .find(|t| t.task.task_id == task_id)
            .map(|t| t.task.clone())
    }

    /// Sets a task's status (see [`apply_status`]); `false` when no task has this id.
    pub(crate) fn set_status(
        &mut self,
        task_id: &str,
        status: TaskStatus,
        now: DateTime<Utc>,
    ) -> bool {
        match self
            .regions
            .values_mut()
            .flatten()
            .find(|t| t.task.task_id == task_id)
        {
            Some(stored) => {
                apply_status(&mut stored.task, status, now);
                true
            }
            None => false,
        }
    }

    /// Runs a query: counts every match, returns the requested page, and counts a poll for each
    /// task on the page (which may advance its schedule after the copy was taken).
    pub(crate) fn query(
        &mut self,
        region_id: &str,
        query: &Query,
        now: DateTime<Utc>,
    ) -> PageResult {
        let Some(list) = self.regions.get_mut(region_id) else {
            return PageResult::default();
        };
        let size = u64::from(query.page_size.max(1));
        let skip = u64::from(query.page_number.max(1) - 1).saturating_mul(size);
        let mut result = PageResult::default();
        let mut on_page = Vec::new();
        for (index, stored) in list.iter().enumerate() {
            if !query.matches(&stored.task) {
                continue;
            }
            if result.total_count >= skip && result.total_count < skip + size {
                result.tasks.push(stored.task.clone());
                on_page.push(index);
            }
            result.total_count += 1;
        }
        for index in on_page {
            list[index].polled(now);
        }
        result
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::{Duration, TimeZone};

    fn t0() -> DateTime<Utc> {
        Utc.with_ymd_and_hms(2024, 5, 1, 12, 0, 0).unwrap()
    }

    fn task(id: &str, action: TaskAction, status: TaskStatus, minutes: i64) -> Task {
        Task::new(id, action, status).with_creation_time(t0() + Duration::minutes(minutes))
    }

    fn page(number: u32, size: u32) -> Query {
        Query {
            page_number: number,
            page_size: size,
            ..Query::default()
        }
    }

    fn ids(result: &PageResult) -> Vec<&str> {
        result.tasks.iter().map(|t| t.task_id.as_str()).collect()
    }

    fn store_of(n: i64) -> TaskStore {
        let mut store = TaskStore::default();
        for i in 0..n {
            let status = if i % 3 == 0 {
                TaskStatus::Processing
            } else {
                TaskStatus::Finished
            };
            let action = if i % 2 == 0 {
                TaskAction::ImportImage
            } else {
                TaskAction::ExportImage
            };
            let t = task(&format!("t-{i:02}"), action, status, i)
                .with_resource_id(format!("m-{}", i % 4));
            store.insert("cn-hangzhou", t, StatusSchedule::new(), t0());
        }
        store
    }

    #[test]
    fn orders_newest_first_then_by_id() {
        let mut store = TaskStore::default();
        let now = t0();
        store.insert(
            "r",
            task("t-b", TaskAction::ImportImage, TaskStatus::Finished, 5),
            StatusSchedule::new(),
            now,
        );
        store.insert(
            "r",
            task("t-c", TaskAction::ImportImage, TaskStatus::Finished, 9),
            StatusSchedule::new(),
            now,
        );
        store.insert(
            "r",
            task("t-a", TaskAction::ImportImage, TaskStatus::Finished, 5),
            StatusSchedule::new(),
            now,
        );
        store.insert(
            "r",
            Task::new("t-0", TaskAction::ImportImage, TaskStatus::Finished),
            StatusSchedule::new(),
            now,
        );
        assert_eq!(
            ids(&store.query("r", &page(1, 10), now)),
            ["t-c", "t-a", "t-b", "t-0"]
        );
    }

    #[test]
    fn pagination_counts_all_and_returns_empty_beyond_end() {
        let mut store = store_of(25);
        let now = t0();
        let p1 = store.query("cn-hangzhou", &page(1, 10), now);
        assert_eq!(p1.total_count, 25);
        assert_eq!(p1.tasks.len(), 10);
        assert_eq!(p1.tasks[0].task_id, "t-24");
        let p3 = store.query("cn-hangzhou", &page(3, 10), now);
        assert_eq!(ids(&p3), ["t-04", "t-03", "t-02", "t-01", "t-00"]);
        let p4 = store.query("cn-hangzhou", &page(4, 10), now);
        assert_eq!(p4.total_count, 25);
        assert!(p4.tasks.is_empty());
        let huge = store.query("cn-hangzhou", &page(u32::MAX, 100), now);
        assert_eq!(huge.total_count, 25);
        assert!(huge.tasks.is_empty());
        assert_eq!(
            store.query("nowhere", &page(1, 10), now),
            PageResult::default()
        );
    }

    #[test]
    fn filters_combine() {
        let mut store = store_of(25);
        let now = t0();
        let q = Query {
            status: Some(TaskStatus::Processing),
            ..page(1, 100)
        };
        assert_eq!(store.query("cn-hangzhou", &q, now).total_count, 9);

        let q = Query {
            action: Some(TaskAction::from_wire("IMPORT_IMAGE")),
            start: Some(t0() + Duration::minutes(10)),
            end: Some(t0() + Duration::minutes(14)),
            ..page(1, 100)
        };
        assert_eq!(
            ids(&store.query("cn-hangzhou", &q, now)),
            ["t-14", "t-12", "t-10"]
        );

        let q = Query {
            task_ids: Some(["t-01", "t-02", "t-99"].map(String::from).into()),
            ..page(1, 100)
        };
        assert_eq!(ids(&store.query("cn-hangzhou", &q, now)), ["t-02", "t-01"]);

        let q = Query {
            resource_ids: Some(["m-1"].map(String::from).into()),
            ..page(1, 100)
        };
        assert_eq!(store.query("cn-hangzhou", &q, now).total_count, 6);

        let q = Query {
            action: Some(TaskAction::from_wire("NoSuchAction")),
            ..page(1, 100)
        };
        assert_eq!(store.query("cn-hangzhou", &q, now).total_count, 0);
    }

    #[test]
    fn task_group_filter_and_replacement_by_id() {
        let mut store = TaskStore::default();
        let now = t0();
        let a =
            task("t-a", TaskAction::ImportImage, TaskStatus::Finished, 1).with_task_group_id("g1");
        let b = task("t-b", TaskAction::ImportImage, TaskStatus::Finished, 2);
        store.insert("r1", a, StatusSchedule::new(), now);
        store.insert("r1", b.clone(), StatusSchedule::new(), now);
        let q = Query {
            task_group_id: Some("g1".into()),
            ..page(1, 10)
        };
        assert_eq!(ids(&store.query("r1", &q, now)), ["t-a"]);
        store.insert("r2", b, StatusSchedule::new(), now);
        assert_eq!(store.count("r1"), 1);
        assert_eq!(store.count("r2"), 1);
    }

    #[test]
    fn schedule_advances_per_response_that_returns_the_task() {
        let mut store = TaskStore::default();
        let now = t0();
        let schedule = StatusSchedule::new()
            .then(TaskStatus::Processing, 2)
            .then(TaskStatus::Finished, 3);
        store.insert(
            "r",
            task("t-s", TaskAction::ImportImage, TaskStatus::Waiting, 0),
            schedule,
            now,
        );
        store.insert(
            "r",
            task("t-x", TaskAction::ImportImage, TaskStatus::Finished, 1),
            StatusSchedule::new(),
            now,
        );
        let statuses: Vec<TaskStatus> = (0..7)
            .map(|_| {
                store
                    .query("r", &page(1, 10), now)
                    .tasks
                    .into_iter()
                    .find(|t| t.task_id == "t-s")
                    .unwrap()
                    .task_status
            })
            .collect();
        use TaskStatus::*;
        assert_eq!(
            statuses,
            [Waiting, Waiting, Processing, Processing, Processing, Finished, Finished]
        );
        let done = store.get("t-s").unwrap();
        assert_eq!(done.finished_time, Some(now));

        // A response that does not return the task does not count.
        let other = StatusSchedule::new().then(TaskStatus::Finished, 1);
        store.insert(
            "r",
            task("t-y", TaskAction::ExportImage, TaskStatus::Processing, 2),
            other,
            now,
        );
        let q = Query {
            task_ids: Some(["t-x".to_owned()].into()),
            ..page(1, 10)
        };
        store.query("r", &q, now);
        assert_eq!(
            store.get("t-y").unwrap().task_status,
            TaskStatus::Processing
        );
        let q = Query {
            task_ids: Some(["t-y".to_owned()].into()),
            ..page(1, 10)
        };
        store.query("r", &q, now);
        assert_eq!(store.get("t-y").unwrap().task_status, TaskStatus::Finished);
    }

    #[test]
    fn zero_poll_steps_apply_immediately_and_set_status_tracks_finished_time() {
        let mut store = TaskStore::default();
        let now = t0();
        let schedule = StatusSchedule::new().then(TaskStatus::Failed, 0);
        store.insert(
            "r",
            task("t-z", TaskAction::ImportImage, TaskStatus::Processing, 0),
            schedule,
            now,
        );
        let t = store.get("t-z").unwrap();
        assert_eq!(t.task_status, TaskStatus::Failed);
        assert_eq!(t.finished_time, Some(now));
        assert!(store.set_status("t-z", TaskStatus::Processing, now));
        assert_eq!(store.get("t-z").unwrap().finished_time, None);
        assert!(!store.set_status("t-missing", TaskStatus::Finished, now));
        store.clear();
        assert_eq!(store.count("r"), 0);
    }
}
