// A QEMU TCG plugin that counts the guest instructions a program executes
// and prints the total at exit ("insns: N"): callgrind's instruction count
// for arm64 code run under qemu-aarch64 on an amd64 machine. It is what
// `go tool task bench-arm64-insns` uses; see bench/README.md.
//
// The few declarations it needs from QEMU's plugin API (include/qemu/
// qemu-plugin.h, stable since QEMU 4.2; API version 1 is accepted by QEMU
// 6.0 and later) are written out here, so that building it needs only gcc,
// not QEMU's source.
//
// Each translation block adds its instruction count to one counter as it
// starts executing (an inline add, no call). Run the guest with
// GOMAXPROCS=1: the counter is not atomic.

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

typedef uint64_t qemu_plugin_id_t;
typedef struct qemu_info_t qemu_info_t;
struct qemu_plugin_tb;
enum qemu_plugin_op { QEMU_PLUGIN_INLINE_ADD_U64 };

void qemu_plugin_register_vcpu_tb_trans_cb(qemu_plugin_id_t id,
	void (*cb)(qemu_plugin_id_t id, struct qemu_plugin_tb *tb));
size_t qemu_plugin_tb_n_insns(const struct qemu_plugin_tb *tb);
void qemu_plugin_register_vcpu_tb_exec_inline(struct qemu_plugin_tb *tb,
	enum qemu_plugin_op op, void *ptr, uint64_t imm);
void qemu_plugin_register_atexit_cb(qemu_plugin_id_t id,
	void (*cb)(qemu_plugin_id_t id, void *userdata), void *userdata);
void qemu_plugin_outs(const char *string);

#define EXPORT __attribute__((visibility("default")))

EXPORT int qemu_plugin_version = 1;

static uint64_t insns;

static void translated(qemu_plugin_id_t id, struct qemu_plugin_tb *tb)
{
	qemu_plugin_register_vcpu_tb_exec_inline(tb, QEMU_PLUGIN_INLINE_ADD_U64,
		&insns, qemu_plugin_tb_n_insns(tb));
}

static void exited(qemu_plugin_id_t id, void *userdata)
{
	char line[64];
	snprintf(line, sizeof line, "insns: %llu\n", (unsigned long long)insns);
	qemu_plugin_outs(line);
}

EXPORT int qemu_plugin_install(qemu_plugin_id_t id, const qemu_info_t *info,
	int argc, char **argv)
{
	qemu_plugin_register_vcpu_tb_trans_cb(id, translated);
	qemu_plugin_register_atexit_cb(id, exited, NULL);
	return 0;
}
