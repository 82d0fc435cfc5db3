// SPDX-License-Identifier: GPL-2.0

//! A kernel thread that runs a step of work, sleeps, and runs it again until it is stopped:
//! IPVS's rate estimator thread (C: `ipvs-e:<namespace>:<id>`) and its sync daemon's
//! (`ipvs-m:...`, `ipvs-b:...`).
//!
//! C header: [`include/linux/kthread.h`](srctree/include/linux/kthread.h)

use super::{pernet::Net, shim};
use core::ptr::NonNull;
use kernel::{
    bindings,
    ffi::{c_int, c_long, c_void},
    prelude::*,
    sync::Arc,
};

/// What a [`KThread`] runs.
pub(crate) trait Step: Send + Sync + 'static {
    /// Runs one step; returns how long to sleep before the next one, in jiffies.
    fn step(&self) -> u64;
}

/// A running estimator thread of state `T`; dropping it stops the thread and waits for it.
///
/// # Invariants
///
/// `task` is a started thread running [`run::<T>`] on `data`, with a reference of ours to its
/// task, until [`Drop`] stops it; `_data` is what it runs on.
pub(crate) struct KThread<T: Step> {
    task: NonNull<bindings::task_struct>,
    /// What the thread runs on, kept alive until it has stopped.
    _data: Arc<T>,
}

// SAFETY: The handle only stops the thread, which may be done from any thread.
unsafe impl<T: Step> Send for KThread<T> {}
// SAFETY: As above; `&KThread` gives no access to the task.
unsafe impl<T: Step> Sync for KThread<T> {}

impl<T: Step> KThread<T> {
    /// Starts `ipvs-e:<gen>:<id>` running `data`'s steps, at nice `nice`, preferring the CPUs
    /// of namespace `net`'s `est_cpulist` if it was set.
    pub(crate) fn spawn(data: Arc<T>, (gen, id): (i32, i32), nice: i32, net: Net) -> Result<Self> {
        Self::start(data, c"ipvs-e", (gen, id), |task| {
            // SAFETY: `task` is a created thread, not yet woken; `net` is alive (type invariant
            // of `Net`).
            unsafe {
                bindings::set_user_nice(task, nice as c_long);
                shim::ipvs_rs_est_kthread_affine(task.cast(), net.raw());
            }
        })
    }

    /// Starts `<prefix>:<gen>:<id>` running `data`'s steps.
    pub(crate) fn spawn_named(
        data: Arc<T>,
        prefix: &'static core::ffi::CStr,
        ids: (i32, i32),
    ) -> Result<Self> {
        Self::start(data, prefix, ids, |_| {})
    }

    fn start(
        data: Arc<T>,
        prefix: &'static core::ffi::CStr,
        (gen, id): (i32, i32),
        setup: impl FnOnce(*mut bindings::task_struct),
    ) -> Result<Self> {
        let arg = Arc::as_ptr(&data).cast_mut().cast::<c_void>();
        // SAFETY: `run::<T>` takes `arg` as a `&T`: `data` keeps it alive until the thread has
        // been stopped (see `Drop`), and a thread that is never woken never runs. `prefix` is
        // NUL-terminated.
        let task = unsafe {
            shim::ipvs_rs_kthread_create(Some(run::<T>), arg, prefix.as_char_ptr(), gen, id)
        };
        let task = NonNull::new(task.cast::<bindings::task_struct>()).ok_or(ENOMEM)?;
        setup(task.as_ptr());
        // SAFETY: `task` is a created thread, not yet woken, that we hold a reference to.
        unsafe { bindings::wake_up_process(task.as_ptr()) };
        // INVARIANT: Started just now, on `data`, with our reference to its task.
        Ok(Self { task, _data: data })
    }

    /// Wakes the thread if it sleeps between steps (any context, BH included).
    pub(crate) fn wake(&self) {
        // SAFETY: We hold a reference to the task (type invariant).
        unsafe { bindings::wake_up_process(self.task.as_ptr()) };
    }
}

impl<T: Step> Drop for KThread<T> {
    fn drop(&mut self) {
        // SAFETY: `task` is our started thread with our reference (type invariant): this asks it
        // to stop, waits until it has, and drops the reference. `data` outlives it.
        unsafe { bindings::kthread_stop_put(self.task.as_ptr()) };
    }
}

/// Whether the calling kernel thread is asked to stop.
pub(crate) fn should_stop() -> bool {
    // SAFETY: Reads the calling task's flag; a thread that is not a kernel thread has none.
    unsafe { bindings::kthread_should_stop() }
}

/// The thread's function: steps until asked to stop, sleeping (idle, so not counted as load)
/// between them.
///
/// # Safety
///
/// `arg` must point to a `T` that stays alive until the thread is stopped.
unsafe extern "C" fn run<T: Step>(arg: *mut c_void) -> c_int {
    // SAFETY: Guaranteed by the caller (`KThread::spawn`'s `data` lives until the thread stops).
    let data = unsafe { &*arg.cast::<T>() };
    // SAFETY: Called from the kernel thread itself.
    while !unsafe { bindings::kthread_should_stop() } {
        let wait = data.step();
        // SAFETY: Sleeping in the thread's own context; `kthread_stop` wakes it.
        unsafe { bindings::schedule_timeout_idle(wait.min(i32::MAX as u64) as c_long) };
    }
    0
}
