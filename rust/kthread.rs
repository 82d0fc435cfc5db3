// SPDX-License-Identifier: GPL-2.0

//! A kernel thread that runs a step of work, sleeps, and runs it again until it is stopped:
//! IPVS's rate estimator thread (C: `ipvs-e:<namespace>:<id>`).
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
        let arg = Arc::as_ptr(&data).cast_mut().cast::<c_void>();
        // SAFETY: `run::<T>` takes `arg` as a `&T`: `data` keeps it alive until the thread has
        // been stopped (see `Drop`), and a thread that is never woken never runs.
        let task = unsafe { shim::ipvs_rs_est_kthread_create(Some(run::<T>), arg, gen, id) };
        let task = NonNull::new(task.cast::<bindings::task_struct>()).ok_or(ENOMEM)?;
        // SAFETY: `task` is a created thread, not yet woken, that we hold a reference to; `net`
        // is alive (type invariant of `Net`).
        unsafe {
            bindings::set_user_nice(task.as_ptr(), nice as c_long);
            shim::ipvs_rs_est_kthread_affine(task.as_ptr().cast(), net.raw());
            bindings::wake_up_process(task.as_ptr());
        }
        // INVARIANT: Started just now, on `data`, with our reference to its task.
        Ok(Self { task, _data: data })
    }
}

impl<T: Step> Drop for KThread<T> {
    fn drop(&mut self) {
        // SAFETY: `task` is our started thread with our reference (type invariant): this asks it
        // to stop, waits until it has, and drops the reference. `data` outlives it.
        unsafe { bindings::kthread_stop_put(self.task.as_ptr()) };
    }
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
