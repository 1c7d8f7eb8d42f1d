/* SPDX-License-Identifier: GPL-2.0-or-later */
/* ccid-gadget: a USB CCID smart-card reader on this board's UDC.
 *
 * Order matters: everything the command line can get wrong (options,
 * reader config, UDC choice) is checked before configfs is touched; the
 * cards are made on a thread of their own while the gadget is set up
 * (configfs, FunctionFS descriptors: card_setup_start()), and the UDC is
 * bound only after both are done, so a card that cannot start is never
 * seen by the host (the gadget is removed again, the exit status is the
 * card's); on SIGINT/SIGTERM it is all undone in reverse. With --user, a
 * helper process that keeps root is forked first, cards (not overlapped)
 * and sockets are opened, and the daemon drops root before it reads
 * anything from USB (privsep.h). */
#include <errno.h>
#include <limits.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <time.h>
#include <unistd.h>

#include "apdu_log.h"
#include "ccid_engine.h"
#include "cfs.h"
#include "cli.h"
#include "ctl.h"
#include "ffs_ep0.h"
#include "gadget_loop.h"
#include "log.h"
#include "pcap_writer.h"
#include "privsep.h"
#include "sd_notify.h"
#include "state_dir.h"
#include "thread_stack.h"
#include "vcg_card.h"

#define EXIT_USAGE 2
#define EXIT_CTL_UNREACHABLE 3   /* ctl: no daemon answered at the socket */

struct daemon {
	const struct gadget_opts *o;
	struct ccid_reader_config cfg;
	struct ccid_engine *eng;
	struct vcg_card *cards[CCID_MAX_SLOTS];
	unsigned nslots;
	char udc[256];
	char serial[64];
	int ctl_fd;
	struct cfs_gadget *cg;       /* without --user */
	struct privsep *ps;          /* with --user (and no --ffs) */
	struct priv_user user;       /* --user */
	struct gadget_attach attach; /* bind/unbind through cg or ps */
	char ffs_dir[PATH_MAX];      /* from the helper */
	struct cfs_params cfs;       /* the gadget to create */
	struct ffs_fds fds;
	struct pcapw *pcap;          /* --pcap, or NULL */
	struct apdu_log apdu;        /* -v APDU lines */
	/* make_cards() on its own thread (card_setup_start) */
	pthread_t card_thread;
	bool card_thread_running;
	int card_ret;
	char card_err[1024];
};

static void cfs_note(const char *line)
{
	gadget_log(LOG_NOTICE, "cfs", "%s", line);
}

/* sd_notify(3) for Type=notify units: a failure to notify is logged and
 * the daemon goes on (systemd then reports the unit's start timeout). */
static void notify(const char *state)
{
	int ret = gadget_sd_notify(state);

	if (ret < 0)
		gadget_log(LOG_WARNING, "notify", "NOTIFY_SOCKET: %s",
			   strerror(-ret));
}

static int bind_direct(void *cg, char *err, size_t errlen)
{
	return cfs_gadget_bind(cg, err, errlen);
}

static int unbind_direct(void *cg, char *err, size_t errlen)
{
	(void)err;
	(void)errlen;
	cfs_gadget_unbind(cg);
	return 0;
}

static void unbind_gadget(struct daemon *d)
{
	char err[256];

	if (d->attach.unbind && d->attach.unbind(d->attach.ctx, err,
						 sizeof(err)) < 0)
		gadget_log(LOG_ERR, "cfs", "%s", err);
}

static void unbind_on_stop(void *ctx)
{
	struct daemon *d = ctx;

	notify("STOPPING=1\nSTATUS=stopping: unbinding the gadget");
	unbind_gadget(d);
}

/* Every FunctionFS BIND (the first one, and again after ctl attach or a
 * passthru client adding its reader). */
static void status_on_bound(void *ctx)
{
	struct daemon *d = ctx;
	char state[384];

	if (d->o->ffs_dir)
		snprintf(state, sizeof(state), "STATUS=FunctionFS at %.300s: "
			 "bound to the UDC", d->o->ffs_dir);
	else
		snprintf(state, sizeof(state), "STATUS=%04x:%04x bound to %s",
			 d->o->vid, d->o->pid, d->udc);
	notify(state);
}

/* Undo the set-up, whatever part of it was done, in reverse. */
static void daemon_teardown(struct daemon *d)
{
	unsigned i;

	unbind_gadget(d);
	ffs_close(&d->fds);
	cfs_gadget_destroy(d->cg);   /* after the FunctionFS files closed */
	d->cg = NULL;
	privsep_stop(d->ps, d->ctl_fd >= 0);   /* the same, by the helper */
	d->ps = NULL;
	gadget_ctl_close(d->ctl_fd, d->o->ctl_path);
	d->ctl_fd = -1;
	for (i = 0; i < CCID_MAX_SLOTS; i++) {
		if (d->cards[i])
			vcg_card_destroy(d->cards[i]);
		d->cards[i] = NULL;
	}
	ccid_engine_free(d->eng);
	d->eng = NULL;
	if (d->pcap)
		gadget_log(LOG_NOTICE, "pcap", "%llu records written to %s",
			   (unsigned long long)pcapw_records(d->pcap),
			   d->o->pcap_path);
	pcapw_close(d->pcap);
	d->pcap = NULL;
}

/* The UDC, the serial number and the gadget they make (no configfs yet):
 * bad --udc is EXIT_USAGE. */
static int pick_identity(struct daemon *d, char *err, size_t errlen)
{
	const struct gadget_opts *o = d->o;

	if (o->ffs_dir)
		return 0;
	if (cfs_pick_udc(CFS_UDC_CLASS, o->udc, d->udc, sizeof(d->udc), err,
			 errlen) < 0)
		return o->udc ? EXIT_USAGE : EXIT_FAILURE;
	if (o->serial) {
		snprintf(d->serial, sizeof(d->serial), "%s", o->serial);
	} else if (cfs_default_serial("", d->serial, sizeof(d->serial)) < 0) {
		snprintf(d->serial, sizeof(d->serial), "0000000000000000");
		gadget_log(LOG_WARNING, "cfs", "no board serial "
			   "(/proc/device-tree/serial-number, /etc/machine-id):"
			   " using %s; give --serial", d->serial);
	}
	d->cfs = (struct cfs_params){
		.configfs = CFS_CONFIGFS,
		.run_dir = CFS_RUN_DIR,
		/* --name: both names, each unique per daemon (cli.h) */
		.gadget_name = o->name ? o->name : CFS_GADGET_NAME,
		.ffs_instance = o->name ? o->name : CFS_FFS_INSTANCE,
		.udc = d->udc,
		.vid = o->vid,
		.pid = o->pid,
		.bcd_device = o->bcd_device,
		.manufacturer = o->manufacturer,
		.product = o->product,
		.serial = d->serial,
		.note = cfs_note,
		.ffs_own = o->user != NULL,
		.ffs_uid = d->user.uid,
		.ffs_gid = d->user.gid,
	};
	return 0;
}

/* --user: who, and (without --ffs) the helper that keeps root. Its copy
 * of d->cfs stays valid: it never returns from privsep_start(). */
static int start_helper(struct daemon *d, char *err, size_t errlen)
{
	int ret;

	if (priv_user_lookup(d->o->user, &d->user, err, errlen) < 0)
		return EXIT_USAGE;
	if (geteuid() != 0) {
		snprintf(err, errlen, "--user needs the daemon started as root "
			 "(it runs as uid %u): start it as root, or drop "
			 "--user", (unsigned)geteuid());
		return EXIT_USAGE;
	}
	ret = pick_identity(d, err, errlen);
	if (ret || d->o->ffs_dir)
		return ret;
	if (privsep_start(&d->cfs, d->o->ctl_path, &d->ps, err, errlen) < 0)
		return EXIT_FAILURE;
	return 0;
}

/* Engine and cards: no USB yet. Bad SPECs end here with EXIT_USAGE. */
static int make_cards(struct daemon *d, char *err, size_t errlen)
{
	char why[512];
	unsigned i;
	int rc;

	d->eng = ccid_engine_new(&d->cfg);
	if (!d->eng) {
		snprintf(err, errlen, "cannot create the CCID engine (out of "
			 "memory?)");
		return EXIT_FAILURE;
	}
	ccid_engine_set_log(d->eng, gadget_log_engine, NULL);
	/* What gadget_log_engine would print: debug lines from -v on, with
	 * PINs and response data masked; -vv (which dumps every USB transfer
	 * too) shows them: CCID_LOG_SECRETS. */
	ccid_engine_set_log_level(d->eng,
				  gadget_log_enabled(LOG_DEBUG) ? CCID_LOG_SECRETS :
				  gadget_log_enabled(LOG_INFO) ? LOG_DEBUG :
				  LOG_NOTICE);
	ccid_engine_set_apdu_hook(d->eng, apdu_log_hook, &d->apdu);
	for (i = 0; i < d->o->ncards; i++) {
		d->cards[i] = vcg_card_create(d->o->cards[i], d->eng, i, &rc,
					      why, sizeof(why));
		if (!d->cards[i]) {
			/* -EINVAL: the line quotes the SPEC (shortened when
			 * long), do not quote it twice; otherwise it names
			 * what the SPEC asked for (vcg_card.h). */
			if (rc == -EINVAL)
				snprintf(err, errlen, "--card: %s", why);
			else
				snprintf(err, errlen, "--card '%s': %s",
					 d->o->cards[i], why[0] ? why :
					 strerror(-rc));
			return rc == -ENOMEM ? EXIT_FAILURE : EXIT_USAGE;
		}
		vcg_card_set_log(d->cards[i], gadget_log_card, NULL);
		gadget_log(LOG_NOTICE, "card", "slot %u: %s", i,
			   vcg_card_describe(d->cards[i]));
	}
	for (; i < d->nslots; i++)
		gadget_log(LOG_NOTICE, "card", "slot %u: empty", i);
	return 0;
}

/* Wall and CPU (this thread's) milliseconds since *t, for the -v lines
 * that say how much of a start-up step is waiting. */
struct step_clock {
	struct timespec wall, cpu;
};

static double ms_since(clockid_t id, const struct timespec *t0)
{
	struct timespec t;

	clock_gettime(id, &t);
	return (double)(t.tv_sec - t0->tv_sec) * 1e3 +
	       (double)(t.tv_nsec - t0->tv_nsec) / 1e6;
}

static void step_start(struct step_clock *c)
{
	clock_gettime(CLOCK_MONOTONIC, &c->wall);
	clock_gettime(CLOCK_THREAD_CPUTIME_ID, &c->cpu);
}

static void step_log(const struct step_clock *c, const char *cat,
		     const char *what)
{
	gadget_log(LOG_INFO, cat, "%s in %.1f ms (%.1f ms CPU)", what,
		   ms_since(CLOCK_MONOTONIC, &c->wall),
		   ms_since(CLOCK_THREAD_CPUTIME_ID, &c->cpu));
}

/* The emulated card's start (NSS, libcacard: about 3/4 of the daemon's
 * start-up) overlaps the gadget's set-up (configfs, FunctionFS). Both
 * mostly compute (the -v step lines: set-up 24 ms wall, 24 ms CPU in the
 * bench VM), so the overlap wins on a board with more than one core; on
 * one core only the few ms the set-up waits overlap (bench/README.md,
 * start-up). Nothing else touches d->eng or d->cards until
 * card_setup_join(). */
static void *card_setup_main(void *arg)
{
	struct daemon *d = arg;
	struct step_clock c;

	step_start(&c);
	d->card_ret = make_cards(d, d->card_err, sizeof(d->card_err));
	if (!d->card_ret)
		step_log(&c, "card", "cards made");
	return NULL;
}

/* The card-setup thread's stack (thread_stack.h): NSS's start-up and
 * the PKCS#11 modules a db registers. Its peak (valgrind --tool=drd
 * --show-stack-usage=yes, 2026-12-03, the VM bed): 41.9 kB for a
 * certificates card, 44.6 kB mirroring a token through OpenSC's module
 * (tests/vm/host/reader.sh); making a card in test_vcg_emulated's main
 * thread stayed under 72.8 kB. A 96 KiB guard build passed reader.sh.
 * 1 MiB: ten times that, for the modules nobody measured. */
#define CARD_SETUP_STACK (1024 * 1024)

/* Signals are blocked already: the thread and the cards' own threads
 * inherit that. No thread: the cards are made here, in line. */
static void card_setup_start(struct daemon *d)
{
	if (thread_create_sized(&d->card_thread, CARD_SETUP_STACK,
				card_setup_main, d) == 0)
		d->card_thread_running = true;
	else
		card_setup_main(d);
}

/* Wait for the cards. A card's error comes first, as when the cards were
 * made before anything else: it replaces ret and err. */
static int card_setup_join(struct daemon *d, int ret, char *err,
			   size_t errlen)
{
	if (d->card_thread_running) {
		pthread_join(d->card_thread, NULL);
		d->card_thread_running = false;
	}
	if (d->card_ret) {
		snprintf(err, errlen, "%s", d->card_err);
		return d->card_ret;
	}
	return ret;
}

/* Before the drop: the cards' state directories exist and are the
 * user's (--user) or ours, or a card keeps its PIV counters in memory
 * only (one line says why). */
static void give_state_dirs(struct daemon *d)
{
	uid_t uid = d->o->user ? d->user.uid : geteuid();
	gid_t gid = d->o->user ? d->user.gid : getegid();
	char why[512];
	unsigned i;

	for (i = 0; i < d->nslots; i++) {
		const char *dir = d->cards[i] ? vcg_card_state_dir(d->cards[i]) :
						NULL;

		if (dir && gadget_give_state_dir(dir, uid, gid, why,
						 sizeof(why)) < 0)
			gadget_log(LOG_WARNING, "card", "slot %u: %s", i, why);
	}
}

static int setup_usb(struct daemon *d, char *err, size_t errlen)
{
	const struct gadget_opts *o = d->o;
	const char *dir = o->ffs_dir;

	if (!dir && d->ps) {
		if (privsep_create(d->ps, d->ffs_dir, sizeof(d->ffs_dir), err,
				   errlen) < 0)
			return EXIT_FAILURE;
		dir = d->ffs_dir;
		d->attach = (struct gadget_attach){ privsep_bind,
			privsep_unbind, d->ps, d->udc };
	} else if (!dir) {
		if (cfs_gadget_create(&d->cfs, &d->cg, err, errlen) < 0)
			return EXIT_FAILURE;
		dir = cfs_gadget_ffs_dir(d->cg);
		d->attach = (struct gadget_attach){ bind_direct,
			unbind_direct, d->cg, d->udc };
	}
	if (o->user) {
		give_state_dirs(d);   /* the cards were made first */
		/* Nothing from USB has been read yet. */
		if (priv_drop(&d->user, err, errlen) < 0)
			return EXIT_FAILURE;
		gadget_log(LOG_NOTICE, "priv", "running as %s uid %u gid %u; "
			   "helper pid %d keeps root to bind the UDC",
			   d->user.name[0] ? d->user.name : "user",
			   (unsigned)d->user.uid, (unsigned)d->user.gid,
			   d->ps ? (int)privsep_pid(d->ps) : -1);
	}
	if (ffs_open(dir, &d->cfg, &d->fds, err, errlen) < 0)
		return EXIT_FAILURE;
	return 0;
}

/* The cards are made: the rest, then bind (or wait for a passthru
 * client) and READY=1. */
static int finish_usb(struct daemon *d, char *err, size_t errlen)
{
	const struct gadget_opts *o = d->o;
	const char *dir = o->ffs_dir ? o->ffs_dir : d->ps ? d->ffs_dir :
			  cfs_gadget_ffs_dir(d->cg);
	char state[512];

	if (!o->user)
		give_state_dirs(d);
	if (d->attach.bind && !gadget_cards_want_usb(d->cards, d->nslots)) {
		gadget_log(LOG_NOTICE, "cfs", "gadget %04x:%04x serial %s "
			   "ready on %s; bound when a passthru client adds "
			   "its reader", o->vid, o->pid, d->serial, d->udc);
		/* Ready: the daemon has done its part; the bind waits for
		 * the client, which may be hours away. */
		snprintf(state, sizeof(state), "READY=1\nSTATUS=gadget ready "
			 "on %s, waiting for a passthru client", d->udc);
	} else if (d->attach.bind) {
		/* Descriptors are on ep0 and the endpoints open: bind. */
		if (d->attach.bind(d->attach.ctx, err, errlen) < 0)
			return EXIT_FAILURE;
		gadget_log(LOG_NOTICE, "cfs", "gadget %04x:%04x serial %s "
			   "bound to %s", o->vid, o->pid, d->serial, d->udc);
		snprintf(state, sizeof(state), "READY=1\nSTATUS=%04x:%04x "
			 "bound to %s", o->vid, o->pid, d->udc);
	} else {
		gadget_log(LOG_NOTICE, "ffs", "serving FunctionFS at %s (bind "
			   "the UDC now)", dir);
		/* Ready for whoever binds the UDC: a unit ordered after this
		 * one, or a script waiting for the daemon to be started. */
		snprintf(state, sizeof(state), "READY=1\nSTATUS=FunctionFS "
			 "at %.400s: descriptors written, bind the UDC", dir);
	}
	notify(state);
	return 0;
}

/* --pcap FILE: opened before the UDC is bound, so the capture starts
 * with the enumeration. */
static int open_pcap(struct daemon *d, char *err, size_t errlen)
{
	const struct gadget_opts *o = d->o;
	struct pcapw_identity id = {
		.vid = o->ffs_dir ? 0 : o->vid,
		.pid = o->ffs_dir ? 0 : o->pid,
		.bcd_device = o->bcd_device,
	};

	if (!o->pcap_path)
		return 0;
	if (pcapw_open(o->pcap_path, &d->cfg, &id, &d->pcap, err, errlen) < 0)
		return EXIT_USAGE;
	if (o->pcap_max_bytes)
		pcapw_set_max_bytes(d->pcap, o->pcap_max_bytes);
	gadget_log(LOG_NOTICE, "pcap", "writing the USB traffic to %s",
		   o->pcap_path);
	return 0;
}

static int open_ctl(struct daemon *d, char *err, size_t errlen)
{
	const struct gadget_opts *o = d->o;

	d->ctl_fd = gadget_ctl_listen(o->ctl_path, err, errlen);
	if (d->ctl_fd < 0)
		return EXIT_FAILURE;
	/* Still 0600, now the user's: root and the daemon's user may use
	 * it (ctl_server.c checks the peer's uid too). */
	if (o->user && gadget_ctl_give(o->ctl_path, d->user.uid, d->user.gid,
				       err, errlen) < 0)
		return EXIT_FAILURE;
	return 0;
}

/* Everything before the loop, in the order the file's header gives.
 * Returns 0 or the exit status, with err set. */
static int daemon_setup(struct daemon *d, char *err, size_t errlen)
{
	const struct gadget_opts *o = d->o;
	struct step_clock usb_clock;
	int ret;

	if (gadget_cli_reader_config(o, &d->cfg, err, errlen) < 0)
		return EXIT_USAGE;
	d->nslots = d->cfg.nslots;
	ret = -gadget_signals_block();   /* before any card thread starts */
	if (ret) {
		snprintf(err, errlen, "cannot block signals: %s",
			 strerror(ret));
		return EXIT_FAILURE;
	}
	/* With --user the helper comes first: a fork with no thread and
	 * no card; the cards, the pcap file and the ctl socket then come
	 * before the gadget, in order (the socket is given to the user,
	 * and NSS must have opened the db before root is dropped). */
	if (o->user) {
		ret = start_helper(d, err, errlen);
		if (ret)
			return ret;
		ret = make_cards(d, err, errlen);
		if (!ret)
			ret = open_pcap(d, err, errlen);
		if (!ret)
			ret = open_ctl(d, err, errlen);
		if (!ret)
			ret = setup_usb(d, err, errlen);
		return ret ? ret : finish_usb(d, err, errlen);
	}
	/* Without: the gadget is set up while the cards start; the pcap
	 * file and the ctl socket wait for the cards, so a card that cannot
	 * start leaves neither behind. */
	card_setup_start(d);
	step_start(&usb_clock);
	ret = pick_identity(d, err, errlen);
	/* Another daemon runs this gadget: cfs_gadget_create() would wait
	 * for it (and say so); the cards' verdict comes first, as it did
	 * before the overlap (a bad SPEC exits at once, one line). */
	if (!ret && !o->ffs_dir && cfs_gadget_busy(&d->cfs))
		ret = card_setup_join(d, ret, err, errlen);
	if (!ret)
		ret = setup_usb(d, err, errlen);
	if (!ret)
		step_log(&usb_clock, "ffs", "gadget set up, descriptors written");
	ret = card_setup_join(d, ret, err, errlen);
	if (!ret)
		ret = open_pcap(d, err, errlen);
	if (!ret)
		ret = open_ctl(d, err, errlen);
	return ret ? ret : finish_usb(d, err, errlen);
}

/* CCID_GADGET_OUT_THREAD: 0 AIO, 1 the bulk-OUT transfer thread, 2 the
 * thread writing one-packet answers too (gadget/ffs/gadget_xfer.c). 2 is
 * the fastest (bench/README.md) but not the default: on dwc2, the Pi's
 * UDC, a write interrupted as the host takes it comes back -EINTR and the
 * answer goes twice (gadget/ffs/ffs_out_thread.c). */
#ifndef OUT_THREAD_DEFAULT
#define OUT_THREAD_DEFAULT 0
#endif
static int out_thread_wanted(void)
{
	const char *v = getenv("CCID_GADGET_OUT_THREAD");

	if (v && (!strcmp(v, "0") || !strcmp(v, "1") || !strcmp(v, "2")))
		return v[0] - '0';
	return OUT_THREAD_DEFAULT;
}

/* Serve until SIGINT/SIGTERM (or a fatal error): the exit status. */
static int daemon_loop(struct daemon *d)
{
	struct gadget_loop_params lp = {
		.eng = d->eng,
		.cards = d->cards,
		.nslots = d->nslots,
		.fds = &d->fds,
		/* Reads never exceed the message size rounded up to the
		 * largest packet (1024, super speed). */
		.out_buf_len =
			((size_t)d->cfg.max_msg_len + 1023) / 1024 * 1024,
		.ctl_fd = d->ctl_fd,
		.udc_class = CFS_UDC_CLASS,
		.udc_name = d->o->ffs_dir ? NULL : d->udc,
		.gadget_name = d->o->ffs_dir ? NULL : d->cfs.gadget_name,
		.attach = d->attach.bind ? &d->attach : NULL,
		.on_stop = unbind_on_stop,
		.on_stop_ctx = d,
		.on_bound = status_on_bound,
		.on_bound_ctx = d,
		.pcap = d->pcap,
		/* The bulk-OUT transport (gadget/ffs/ffs_io.h): AIO through
		 * the loop, or CCID_GADGET_OUT_THREAD=1: a transfer thread
		 * with blocking reads, 2: the same thread also writing
		 * one-packet answers with blocking write() (bench/README.md,
		 * transport candidates). */
		.out_thread = out_thread_wanted() >= 1,
		.sync_write = out_thread_wanted() == 2,
	};

	return gadget_loop_run(&lp) < 0 ? EXIT_FAILURE : EXIT_SUCCESS;
}

static int run_daemon(const struct gadget_opts *o)
{
	struct daemon d = { .o = o, .ctl_fd = -1 };
	char err[1024] = "";
	int ret, i;

	d.fds.ep0 = -1;
	for (i = 0; i < FFS_EP_COUNT; i++)
		d.fds.ep[i] = -1;
	ret = daemon_setup(&d, err, sizeof(err));
	if (!ret)
		ret = daemon_loop(&d);
	if (err[0]) {
		fprintf(stderr, "ccid-gadget: %s\n", err);
		if (ret != EXIT_USAGE)
			gadget_sd_notifyf("STATUS=failed: %.400s", err);
	}
	daemon_teardown(&d);
	return ret;
}

static int run_ctl(const struct gadget_opts *o)
{
	char req[64], err[512] = "";
	int ret;

	switch (o->ctl_cmd) {
	case GADGET_CTL_INSERT:
		snprintf(req, sizeof(req), "insert %u", o->ctl_slot);
		break;
	case GADGET_CTL_REMOVE:
		snprintf(req, sizeof(req), "remove %u", o->ctl_slot);
		break;
	case GADGET_CTL_DETACH:
		snprintf(req, sizeof(req), "detach");
		break;
	case GADGET_CTL_ATTACH:
		snprintf(req, sizeof(req), "attach");
		break;
	default:
		snprintf(req, sizeof(req), o->ctl_json ? "status json" :
			 "status");
		break;
	}
	ret = gadget_ctl_request(o->ctl_path, req, stdout, err, sizeof(err));
	if (ret < 0) {
		fprintf(stderr, "ccid-gadget ctl: %s\n", err);
		/* -EIO: the daemon answered "error: ..."; anything else: no
		 * daemon (or none that answers) at the socket. */
		return ret == -EIO ? EXIT_FAILURE : EXIT_CTL_UNREACHABLE;
	}
	return EXIT_SUCCESS;
}

int main(int argc, char **argv)
{
	struct gadget_opts o;
	char err[512];
	int ret;

	if (gadget_cli_parse(argc, argv, &o, err, sizeof(err)) < 0) {
		fprintf(stderr, "ccid-gadget: %s\n", err);
		gadget_cli_free(&o);
		return EXIT_USAGE;
	}
	if (o.mode == GADGET_MODE_HELP) {
		gadget_cli_usage(stdout);
		gadget_cli_free(&o);
		return EXIT_SUCCESS;
	}
	gadget_log_set_level(LOG_NOTICE + o.verbose);
	if (o.mode == GADGET_MODE_CTL) {
		ret = run_ctl(&o);
	} else {
		/* No transparent huge pages for the daemon (and its helper,
		 * which inherits this): with THP "always" (Debian's kernels)
		 * khugepaged made one 2 MB page of the card thread's cached
		 * 8 MB stack, of which a few kB were ever touched: VmRSS +2048
		 * kB (AnonHugePages) at a random moment, seen in 14-cycles. A
		 * daemon of a few MB gains nothing from huge pages. Best
		 * effort: an old kernel without PR_SET_THP_DISABLE is fine. */
		(void)prctl(PR_SET_THP_DISABLE, 1, 0, 0, 0);
		ret = run_daemon(&o);
	}
	gadget_cli_free(&o);
	return ret;
}
