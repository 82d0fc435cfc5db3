/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The IPVS user-space ABI, for bindgen (see Kbuild): ipvs_ctl/uapi_check.rs checks the module's
 * own copy of these numbers (ipvs_ctl/uapi.rs, pure and host-tested) against it.
 */
#include <linux/ip_vs.h>
