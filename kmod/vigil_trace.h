/* SPDX-License-Identifier: GPL-2.0 */
/*
 * vigil: tracepoints (tracefs events/vigil/, perf list 'vigil:*')
 *
 * vigil_pir_wake: the first full-rate frame after a PIR wake is complete;
 * its three CLOCK_MONOTONIC times give the wake latency.
 *
 * vigil_render_begin, vigil_render_end: the virtual receiver's worker
 * fills the buffer of frame @sequence (the sensor's render and the privacy
 * mask) between the two; what runs on that CPU in between shows whether
 * the render can be preempted.
 */
#undef TRACE_SYSTEM
#define TRACE_SYSTEM vigil

#if !defined(_VIGIL_TRACE_H_) || defined(TRACE_HEADER_MULTI_READ)
#define _VIGIL_TRACE_H_

#include <linux/tracepoint.h>

TRACE_EVENT(vigil_pir_wake,
	    TP_PROTO(unsigned int instance, u64 irq_ns, u64 wake_ns,
		     u64 frame_ns, u32 pir_seq, u32 frame_seq),
	    TP_ARGS(instance, irq_ns, wake_ns, frame_ns, pir_seq, frame_seq),
	    TP_STRUCT__entry(__field(unsigned int, instance)
			     __field(u64, irq_ns)
			     __field(u64, wake_ns)
			     __field(u64, frame_ns)
			     __field(u32, pir_seq)
			     __field(u32, frame_seq)),
	    TP_fast_assign(__entry->instance = instance;
			   __entry->irq_ns = irq_ns;
			   __entry->wake_ns = wake_ns;
			   __entry->frame_ns = frame_ns;
			   __entry->pir_seq = pir_seq;
			   __entry->frame_seq = frame_seq;),
	    TP_printk("instance=%u irq_ns=%llu wake_ns=%llu frame_ns=%llu pir_seq=%u frame_seq=%u",
		      __entry->instance, __entry->irq_ns, __entry->wake_ns,
		      __entry->frame_ns, __entry->pir_seq, __entry->frame_seq)
);

DECLARE_EVENT_CLASS(vigil_render,
		    TP_PROTO(unsigned int instance, u32 sequence),
		    TP_ARGS(instance, sequence),
		    TP_STRUCT__entry(__field(unsigned int, instance)
				     __field(u32, sequence)),
		    TP_fast_assign(__entry->instance = instance;
				   __entry->sequence = sequence;),
		    TP_printk("instance=%u sequence=%u",
			      __entry->instance, __entry->sequence)
);

DEFINE_EVENT(vigil_render, vigil_render_begin,
	     TP_PROTO(unsigned int instance, u32 sequence),
	     TP_ARGS(instance, sequence));

DEFINE_EVENT(vigil_render, vigil_render_end,
	     TP_PROTO(unsigned int instance, u32 sequence),
	     TP_ARGS(instance, sequence));

#endif /* _VIGIL_TRACE_H_ */

/* Out of tree: define_trace.h finds this file through -I (Kbuild). */
#undef TRACE_INCLUDE_PATH
#define TRACE_INCLUDE_PATH .
#undef TRACE_INCLUDE_FILE
#define TRACE_INCLUDE_FILE vigil_trace
#include <trace/define_trace.h>
