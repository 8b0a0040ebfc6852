/*
 * fault: named crash points for the crash-loop test (tests/e2e/
 * t_crash_loop.sh) and allocation failures for the allocation torture
 * (tests/e2e/t_alloc_torture.sh), compiled only into the test build
 * (make fault: build/fault-asan/xfer, -DXFER_FAULTS, ASan+UBSan).  In
 * every other build FAULT_POINT() is ((void)0), fault.c and fault_alloc.c
 * are empty and nothing is wrapped: the release binary holds none of it.
 *
 * XFER_FAULT="NAME:kill" makes the process raise SIGKILL the first time
 * it reaches point NAME; "NAME:kill:N" at the N-th time (1-based), for
 * points inside loops.  Before dying it writes "xfer: fault point 'NAME'
 * hit N: killing" to stderr, so the test knows which point fired.
 * "NAME:stop" (and "NAME:stop:N") raises SIGSTOP instead ("stopping"):
 * a host paused there, holding what it holds, until SIGCONT.
 *
 * Each point sits right after one durability step and before the next,
 * so a kill there leaves exactly the state a crash at that moment would
 * (for a kill; a power cut can also lose what was not yet fsync'd).
 *
 * Send (sendjob.c, produce.c, dest.c, dest_curl.c):
 *   send_after_write          batch file written in spool tmp/, before
 *                             its fsync
 *   send_after_fsync          batch file fsync'd, before the manifest and
 *                             batch.meta
 *   send_after_out_rename     batch directory renamed into out/DATE, before
 *                             the ledger hears of it
 *   send_after_produced_commit  ledger says produced, before delivery
 *   upload_start              SFTP/HTTPS: an upload is about to start
 *                             (data file, then again for the manifest)
 *   upload_mid                SFTP/HTTPS: each call of the upload's read
 *                             callback (use :N to die after N-1 chunks)
 *   remote_before_rename      SFTP/HTTPS: NAME.part uploaded (SFTP: its
 *                             last bytes handed to libcurl), before the
 *                             rename (SFTP quote) / MOVE onto NAME
 *   remote_after_rename       SFTP/HTTPS: renamed on the server, before
 *                             anything else
 *   copy_mid                  durable copy (local directory destination,
 *                             moves across file systems): each chunk
 *                             written to the temporary
 *   copy_before_rename        durable copy: temporary fsync'd, before the
 *                             rename onto the final name
 *   manifest_before_upload    data file at the destination, before the
 *                             manifest is put
 *   s3_multipart_start        S3: stale multipart uploads of the name
 *                             aborted, before a new one is created
 *   s3_part_done              S3: each part uploaded (use :N)
 *   s3_before_complete        S3: every part uploaded, before
 *                             CompleteMultipartUpload
 *   (S3 also passes upload_start, upload_mid, pull_mid_download)
 *   send_before_sent_move     delivered (manifest too), before out/DATE
 *                             moves to sent/DATE
 *   send_before_sent_commit   in sent/DATE, before the ledger says sent
 *
 * Send of a group of batches (a --from/--to range, catch-up or rerun of
 * several dates, sendjob.c; send_after_write and send_after_fsync fire
 * for each batch of the group, the fsync being deferred to the group's
 * sync; then, once per group unless said):
 *   group_before_sync         every batch of the group written in tmp/,
 *                             nothing fsync'd, before the syncfs
 *   group_after_sync          the group durable in tmp/, before the
 *                             renames into out/
 *   send_after_out_rename     every batch renamed into out/DATE and out/
 *                             fsync'd, before the group's ledger commit
 *   send_after_produced_commit  the group's rows say produced, before any
 *                             of it is delivered
 *   group_delivered           each batch the run's main thread finds
 *                             delivered (use :N), while other connections
 *                             may be uploading
 *   send_before_sent_move     a group's deliveries all done, before the
 *                             moves out/DATE -> sent/DATE
 *   send_before_sent_commit   moved and sent/ fsync'd, before the group's
 *                             ledger commit of the sent rows
 *
 * Receive (recv_pickup.c, recvjob.c, recv_files.c, recv_reconcile.c,
 * ingest.c):
 *   recv_after_manifest_pickup  the file's manifest moved into in/TOKEN,
 *                             the data file still in the inbox
 *   recv_after_pickup         data file moved into in/TOKEN
 *   recv_before_received_commit  before the ledger says received
 *   ingest_mid                each record inserted (use :N)
 *   ingest_before_commit      every record and the key row inserted,
 *                             before COMMIT of the target's transaction
 *   ingest_after_commit       committed, before the ledger says ingested
 *   recv_before_backup        ledger says ingested, before the move to
 *                             the backup
 *   recv_mid_backup           the file in the backup (moved or gzip'd
 *                             there), its manifest and in/TOKEN not yet
 *   recv_after_backup         all in the backup, before the ledger records
 *                             the file's new place
 *   recv_before_supersede     a newer version is ingested (and backed up),
 *                             before the ledger marks the failed version
 *                             it supersedes (once per superseded row)
 *
 * Receive by pulling over SFTP/HTTPS (recv_pickup.c pull_one,
 * dest_curl.c; the points above follow, recv_after_*pickup excepted):
 *   pull_mid_download         each chunk written by the download's write
 *                             callback (use :N): the manifests' first, each
 *                             straight into in/TOKEN, then the data file's
 *                             into in/TOKEN/.download.NAME
 *   pull_after_download       the data file fsync'd and renamed onto
 *                             in/TOKEN/NAME, before the ledger hears of it
 *   pull_before_remove        the ledger says received, before after_pull
 *                             deletes or moves a name at the source: the
 *                             data file (hit 1), then its manifests (:2 ...)
 *
 * XFER_FAULT_ALLOC=N makes the N-th allocation made by lib/ or cmd/ fail
 * (1-based; it is the only one that fails): malloc, calloc, realloc,
 * reallocarray, strdup, strndup, asprintf, vasprintf, and the calls that
 * allocate for their caller (glob, fopen, opendir, fdopendir, newlocale,
 * regcomp, setenv, curl_easy_init, curl_slist_append, curl_url,
 * curl_easy_escape, json_tokener_new(_ex), archive_read_new,
 * archive_write_new, archive_entry_new, EVP_MD_CTX_new,
 * sqlite3_open_v2), each failing as it does when memory is short.  The
 * test build is linked with -Wl,--wrap for each (the Makefile's
 * FAULT_WRAP_FNS), so the libraries' own allocations never fail.  It
 * writes "xfer: fault: allocation N (FUNCTION) fails" to stderr, and
 * with XFER_FAULT_ALLOC_TRACE=1 the stack.  XFER_FAULT_ALLOC=count fails
 * nothing and writes "xfer: fault: K allocations" at exit.
 */
#ifndef XFER_FAULT_H
#define XFER_FAULT_H

/*
 * FAULT_INIT() reads XFER_FAULT now: called before a run starts threads
 * (sendpool.c), so the points they reach only count hits (atomically).
 */
#ifdef XFER_FAULTS
void fault_init(void);
void fault_hit(const char *name);
#define FAULT_INIT()		fault_init()
#define FAULT_POINT(name)	fault_hit(name)
#else
#define FAULT_INIT()		((void)0)
#define FAULT_POINT(name)	((void)0)
#endif

#endif
