//! Walking every page: [`Pages`] (a stream of pages), [`Tasks`] (a stream of tasks) and
//! [`Client::describe_all_tasks`].
//!
//! # What a walk guarantees
//!
//! * Nothing is sent until the stream is first polled; a request that fails validation is the
//!   stream's first and only item.
//! * The walk starts at the request's `PageNumber` (default 1) and uses its `PageSize`, or
//!   [`DEFAULT_WALK_PAGE_SIZE`] (100, the service's maximum) when the request sets none.
//! * It ends after the page where `page_number * page_size >= TotalCount` (the latest
//!   TotalCount seen), after a short or empty page, after a page that brings no task not
//!   already yielded, or right after yielding the first error.
//! * Within one walk a task id is yielded at most once: pages are filtered against the ids
//!   already yielded (remembered as 128-bit fingerprints, 16 bytes a task). So when tasks are inserted while a walk runs (the service lists newest
//!   first, pushing older tasks onto later pages) no task is duplicated; tasks inserted behind
//!   the walk's position are not seen, and a task deleted mid-walk may shift another task onto
//!   a page already read, so it can be missed. A walk is a consistent snapshot only when the
//!   data does not change under it; use a time window (`EndTime`) for a stable walk.
//! * Every page either brings a new task or ends the walk, so a service that repeats a page or
//!   keeps raising TotalCount cannot make a walk loop forever.
//!
//! # Prefetch
//!
//! [`Pages::prefetch`] (at most [`MAX_PREFETCH`]) fetches the following pages concurrently once
//! the first page has told TotalCount, keeps at most that many requests in flight and yields
//! pages in order. Dropping the stream cancels the requests in flight.

use std::collections::HashSet;
use std::hash::{BuildHasher, Hasher};
use std::pin::Pin;
use std::task::{Context, Poll};

use futures::future::BoxFuture;
use futures::stream::{BoxStream, FuturesOrdered, Stream, StreamExt};
use futures::FutureExt;

use crate::client::Client;
use crate::error::{Error, ValidationError};
use crate::model::{DescribeTasksResponse, Task};
use crate::request::{DescribeTasksRequest, DescribeTasksRequestBuilder};

/// The page size of a walk whose request sets none: 100, the most the service allows.
pub const DEFAULT_WALK_PAGE_SIZE: u32 = 100;
/// The most pages a walk may keep in flight.
pub const MAX_PREFETCH: usize = 16;
/// The default cap of [`Client::describe_all_tasks`]: 100,000 tasks.
pub const DEFAULT_COLLECT_LIMIT: usize = 100_000;

/// Anything that is, or builds into, a [`DescribeTasksRequest`]: the request itself, its
/// builder (validated when the walk starts) or a build result.
pub trait IntoDescribeTasksRequest {
    /// The validated request.
    fn into_request(self) -> Result<DescribeTasksRequest, ValidationError>;
}

impl IntoDescribeTasksRequest for DescribeTasksRequest {
    fn into_request(self) -> Result<DescribeTasksRequest, ValidationError> {
        Ok(self)
    }
}

impl IntoDescribeTasksRequest for DescribeTasksRequestBuilder {
    fn into_request(self) -> Result<DescribeTasksRequest, ValidationError> {
        self.build()
    }
}

impl IntoDescribeTasksRequest for Result<DescribeTasksRequest, ValidationError> {
    fn into_request(self) -> Result<DescribeTasksRequest, ValidationError> {
        self
    }
}

impl Client {
    /// A lazy stream of every page matching `request`. See the [module docs](crate::paginate)
    /// for when the walk ends and what it guarantees.
    ///
    /// ```no_run
    /// use aliyun_ecs_tasks::{Client, DescribeTasksRequest};
    /// use futures::TryStreamExt;
    ///
    /// # async fn run(client: Client) -> Result<(), aliyun_ecs_tasks::Error> {
    /// let request = DescribeTasksRequest::builder().region_id("cn-hangzhou");
    /// let mut pages = client.describe_tasks_pages(request).prefetch(4);
    /// while let Some(page) = pages.try_next().await? {
    ///     println!("page {} holds {} tasks", page.page_number, page.task_set.len());
    /// }
    /// # Ok(()) }
    /// ```
    pub fn describe_tasks_pages(&self, request: impl IntoDescribeTasksRequest) -> Pages {
        Pages {
            state: PagesState::Pending {
                client: self.clone(),
                request: Some(request.into_request()),
                prefetch: 1,
            },
        }
    }

    /// A lazy stream of every task matching `request`, page after page.
    ///
    /// ```no_run
    /// use aliyun_ecs_tasks::{Client, DescribeTasksRequest};
    /// use futures::TryStreamExt;
    ///
    /// # async fn run(client: Client) -> Result<(), aliyun_ecs_tasks::Error> {
    /// let request = DescribeTasksRequest::builder().region_id("cn-hangzhou");
    /// let mut tasks = client.describe_tasks_stream(request);
    /// while let Some(task) = tasks.try_next().await? {
    ///     println!("{} {}", task.task_id, task.task_status);
    /// }
    /// # Ok(()) }
    /// ```
    pub fn describe_tasks_stream(&self, request: impl IntoDescribeTasksRequest) -> Tasks {
        Tasks {
            pages: self.describe_tasks_pages(request),
            current: Vec::new().into_iter(),
        }
    }

    /// Collects every task matching `request`, failing with [`Error::TooManyTasks`] past
    /// [`DEFAULT_COLLECT_LIMIT`] tasks.
    pub async fn describe_all_tasks(
        &self,
        request: impl IntoDescribeTasksRequest,
    ) -> Result<Vec<Task>, Error> {
        self.describe_all_tasks_with_limit(request, DEFAULT_COLLECT_LIMIT)
            .await
    }

    /// Collects every task matching `request`, failing with [`Error::TooManyTasks`] once more
    /// than `limit` tasks have arrived.
    pub async fn describe_all_tasks_with_limit(
        &self,
        request: impl IntoDescribeTasksRequest,
        limit: usize,
    ) -> Result<Vec<Task>, Error> {
        let mut pages = self.describe_tasks_pages(request);
        let mut tasks = Vec::new();
        while let Some(page) = pages.next().await {
            let page = page?;
            if tasks.len() + page.task_set.len() > limit {
                return Err(Error::TooManyTasks { limit });
            }
            tasks.extend(page.into_tasks());
        }
        Ok(tasks)
    }
}

/// A stream of pages (see [`Client::describe_tasks_pages`]). `Send + 'static`: it owns a clone
/// of the client, so it can be spawned.
#[must_use = "streams do nothing unless polled"]
pub struct Pages {
    state: PagesState,
}

enum PagesState {
    Pending {
        client: Client,
        request: Option<Result<DescribeTasksRequest, ValidationError>>,
        prefetch: usize,
    },
    Running(BoxStream<'static, Result<DescribeTasksResponse, Error>>),
    Done,
}

impl std::fmt::Debug for Pages {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let state = match &self.state {
            PagesState::Pending { .. } => "pending",
            PagesState::Running(_) => "running",
            PagesState::Done => "done",
        };
        f.debug_struct("Pages").field("state", &state).finish()
    }
}

impl Pages {
    /// Fetches up to `pages` pages concurrently once TotalCount is known (clamped to
    /// 1..=[`MAX_PREFETCH`]; 1, the default, walks one page at a time). Pages are still
    /// yielded in order. Has no effect once the stream has been polled.
    pub fn prefetch(mut self, pages: usize) -> Self {
        if let PagesState::Pending { prefetch, .. } = &mut self.state {
            *prefetch = pages.clamp(1, MAX_PREFETCH);
        }
        self
    }

    /// Turns the page stream into a stream of tasks.
    pub fn into_tasks(self) -> Tasks {
        Tasks {
            pages: self,
            current: Vec::new().into_iter(),
        }
    }
}

impl Stream for Pages {
    type Item = Result<DescribeTasksResponse, Error>;

    fn poll_next(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Option<Self::Item>> {
        loop {
            match &mut self.state {
                PagesState::Pending {
                    client,
                    request,
                    prefetch,
                } => {
                    let request = request.take();
                    let client = client.clone();
                    let prefetch = *prefetch;
                    match request {
                        Some(Ok(request)) => {
                            self.state = PagesState::Running(walk(client, request, prefetch));
                        }
                        Some(Err(e)) => {
                            self.state = PagesState::Done;
                            return Poll::Ready(Some(Err(Error::Validation(e))));
                        }
                        None => self.state = PagesState::Done,
                    }
                }
                PagesState::Running(stream) => return stream.poll_next_unpin(cx),
                PagesState::Done => return Poll::Ready(None),
            }
        }
    }
}

/// A stream of tasks (see [`Client::describe_tasks_stream`]). `Send + 'static`.
#[must_use = "streams do nothing unless polled"]
#[derive(Debug)]
pub struct Tasks {
    pages: Pages,
    current: std::vec::IntoIter<Task>,
}

impl Tasks {
    /// Fetches up to `pages` pages concurrently (see [`Pages::prefetch`]).
    pub fn prefetch(mut self, pages: usize) -> Self {
        self.pages = self.pages.prefetch(pages);
        self
    }
}

impl Stream for Tasks {
    type Item = Result<Task, Error>;

    fn poll_next(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Option<Self::Item>> {
        loop {
            if let Some(task) = self.current.next() {
                return Poll::Ready(Some(Ok(task)));
            }
            match self.pages.poll_next_unpin(cx) {
                Poll::Ready(Some(Ok(page))) => self.current = page.into_tasks().into_iter(),
                Poll::Ready(Some(Err(e))) => return Poll::Ready(Some(Err(e))),
                Poll::Ready(None) => return Poll::Ready(None),
                Poll::Pending => return Poll::Pending,
            }
        }
    }
}

type PageFuture = BoxFuture<'static, (u32, Result<DescribeTasksResponse, Error>)>;

/// The state of one walk.
struct Walk {
    client: Client,
    request: DescribeTasksRequest,
    page_size: u32,
    prefetch: usize,
    /// The next page number not yet requested.
    next_page: u32,
    /// The last page TotalCount says exists, once known.
    last_page: Option<u32>,
    in_flight: FuturesOrdered<PageFuture>,
    /// Fingerprints of the task ids yielded so far (see [`IdFingerprint`]).
    seen: HashSet<u128, FingerprintHash>,
    fingerprint: IdFingerprint,
    done: bool,
}

impl Walk {
    fn fetch(&mut self, page: u32) {
        let client = self.client.clone();
        let request = self.request.with_page(page, self.page_size);
        self.in_flight.push_back(
            async move {
                let result = client.describe_tasks_ref(&request).await;
                (page, result)
            }
            .boxed(),
        );
    }

    /// Keeps the pipeline full: one page when TotalCount is unknown, up to `prefetch` after.
    fn schedule(&mut self) {
        match self.last_page {
            Some(last) if self.prefetch > 1 => {
                while self.in_flight.len() < self.prefetch && self.next_page <= last {
                    let page = self.next_page;
                    self.fetch(page);
                    self.next_page = page.saturating_add(1);
                }
                if self.in_flight.is_empty() {
                    let page = self.next_page;
                    self.fetch(page);
                    self.next_page = page.saturating_add(1);
                }
            }
            _ => {
                if self.in_flight.is_empty() {
                    let page = self.next_page;
                    self.fetch(page);
                    self.next_page = page.saturating_add(1);
                }
            }
        }
    }

    async fn step(&mut self) -> Option<Result<DescribeTasksResponse, Error>> {
        if self.done {
            return None;
        }
        self.schedule();
        let (page, result) = self.in_flight.next().await?;
        let mut response = match result {
            Ok(r) => r,
            Err(e) => {
                self.finish();
                return Some(Err(e));
            }
        };
        let size = u64::from(self.page_size);
        let raw_len = response.task_set.len();
        self.last_page = Some(last_page(response.total_count, self.page_size));
        if self.seen.is_empty() {
            // Size the set for the whole walk once (within the collect cap) instead of
            // growing it page after page.
            let expected = response.total_count.min(DEFAULT_COLLECT_LIMIT as u64) as usize;
            self.seen.reserve(expected);
        }
        let before = self.seen.len();
        let (seen, fingerprint) = (&mut self.seen, &self.fingerprint);
        response
            .task_set
            .tasks
            .retain(|t| seen.insert(fingerprint.of(&t.task_id)));
        let fresh = self.seen.len() - before;
        let end = raw_len == 0
            || (raw_len as u64) < size
            || u64::from(page) * size >= response.total_count
            || fresh == 0
            || page == u32::MAX;
        if end {
            self.finish();
        }
        Some(Ok(response))
    }

    fn finish(&mut self) {
        self.done = true;
        // Dropping the futures cancels the requests still in flight.
        self.in_flight = FuturesOrdered::new();
    }
}

/// A 128-bit fingerprint of a task id, which the walk remembers instead of the id itself: 16
/// bytes a task and no allocation, so a walk over 100,000 tasks keeps under 4 MB for
/// de-duplication.
///
/// Two multiply-rotate lanes with their own constants run over the id's 8-byte words in one
/// pass (independent chains, so they overlap in the processor), each seeded at random for each
/// walk so a hostile server cannot choose ids that collide. Task ids are short ASCII strings, for
/// which the standard SipHash would cost more than the rest of the de-duplication. Two distinct
/// ids share a fingerprint with a probability near 2^-128 per pair, so in practice it never
/// drops a task.
struct IdFingerprint {
    seeds: [u64; 2],
}

impl IdFingerprint {
    const K: [u64; 2] = [0x517c_c1b7_2722_0a95, 0x9e37_79b9_7f4a_7c15];

    fn random() -> Self {
        Self::with_seeds([fastrand::u64(..), fastrand::u64(..)])
    }

    fn with_seeds(seeds: [u64; 2]) -> Self {
        Self { seeds }
    }

    fn of(&self, id: &str) -> u128 {
        let [mut low, mut high] = self.seeds;
        let mut add = |word: u64| {
            low = (low.rotate_left(5) ^ word).wrapping_mul(Self::K[0]);
            high = (high.rotate_left(29) ^ word).wrapping_mul(Self::K[1]);
        };
        let bytes = id.as_bytes();
        // The length first, so that zero padding of the last word cannot make two ids equal.
        add(bytes.len() as u64);
        let mut chunks = bytes.chunks_exact(8);
        for chunk in &mut chunks {
            let mut word = [0u8; 8];
            word.copy_from_slice(chunk);
            add(u64::from_le_bytes(word));
        }
        let rest = chunks.remainder();
        if !rest.is_empty() {
            // Byte by byte: a copy of a variable length would be a call to `memcpy`.
            let word = rest
                .iter()
                .enumerate()
                .fold(0u64, |w, (i, &b)| w | u64::from(b) << (8 * i));
            add(word);
        }
        (u128::from(finish(high)) << 64) | u128::from(finish(low))
    }
}

/// A final mix, so the low bits (which pick the bucket) depend on every input bit.
#[inline]
fn finish(mut h: u64) -> u64 {
    h ^= h >> 33;
    h = h.wrapping_mul(0xff51_afd7_ed55_8ccd);
    h ^ (h >> 33)
}

/// Hashes a fingerprint by taking its low 64 bits: it is already a seeded hash.
#[derive(Clone, Copy, Default)]
struct FingerprintHash;

impl BuildHasher for FingerprintHash {
    type Hasher = FingerprintHasher;
    fn build_hasher(&self) -> FingerprintHasher {
        FingerprintHasher(0)
    }
}

struct FingerprintHasher(u64);

impl Hasher for FingerprintHasher {
    fn write(&mut self, bytes: &[u8]) {
        // Only u128 fingerprints are hashed with this; fold anything else in anyway.
        for &b in bytes {
            self.0 = self.0.rotate_left(8) ^ u64::from(b);
        }
    }

    fn write_u128(&mut self, value: u128) {
        self.0 = value as u64;
    }

    fn finish(&self) -> u64 {
        self.0
    }
}

fn last_page(total: u64, page_size: u32) -> u32 {
    let pages = total.div_ceil(u64::from(page_size.max(1)));
    u32::try_from(pages).unwrap_or(u32::MAX).max(1)
}

fn walk(
    client: Client,
    request: DescribeTasksRequest,
    prefetch: usize,
) -> BoxStream<'static, Result<DescribeTasksResponse, Error>> {
    let walk = Walk {
        page_size: request.page_size().unwrap_or(DEFAULT_WALK_PAGE_SIZE),
        next_page: request.page_number().unwrap_or(1).max(1),
        client,
        request,
        prefetch,
        last_page: None,
        in_flight: FuturesOrdered::new(),
        seen: HashSet::with_hasher(FingerprintHash),
        fingerprint: IdFingerprint::random(),
        done: false,
    };
    futures::stream::unfold(walk, |mut walk| async move {
        let item = walk.step().await?;
        Some((item, walk))
    })
    .boxed()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn last_page_rounds_up_and_never_is_zero() {
        assert_eq!(last_page(0, 10), 1);
        assert_eq!(last_page(1, 10), 1);
        assert_eq!(last_page(10, 10), 1);
        assert_eq!(last_page(11, 10), 2);
        assert_eq!(last_page(537, 100), 6);
        assert_eq!(last_page(u64::MAX, 1), u32::MAX);
    }

    #[test]
    fn fingerprints_separate_similar_ids() {
        let f = IdFingerprint::with_seeds([7, 8]);
        let all: HashSet<u128> = (0..10_000)
            .map(|i| f.of(&format!("t-bp1{i:017}")))
            .collect();
        assert_eq!(all.len(), 10_000);
        // Each half alone tells them apart too.
        let low: HashSet<u64> = all.iter().map(|&p| p as u64).collect();
        let high: HashSet<u64> = all.iter().map(|&p| (p >> 64) as u64).collect();
        assert_eq!((low.len(), high.len()), (10_000, 10_000));
        assert_ne!(f.of("t-1"), f.of("t-1\0"));
        assert_ne!(f.of(""), f.of("\0"));
        assert_ne!(
            f.of("abcdefgh"),
            IdFingerprint::with_seeds([7, 9]).of("abcdefgh")
        );
        assert_ne!(
            f.of("abcdefgh"),
            IdFingerprint::with_seeds([6, 8]).of("abcdefgh")
        );
    }

    fn assert_send_static<T: Send + 'static>() {}

    #[test]
    fn streams_are_send_and_static() {
        assert_send_static::<Pages>();
        assert_send_static::<Tasks>();
    }
}
