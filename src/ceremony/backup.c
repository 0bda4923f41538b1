/* key-backup: placeholder until the token side exists. */
#include "ceremony/ceremony_int.h"

int
cer_backup_prepare(struct signet_ceremony *c)
{
	(void)c;
	return signet_error_set(SIGNET_ERR_TOKEN, "not yet");
}

int
cer_backup_execute(struct signet_ceremony *c)
{
	(void)c;
	return signet_error_set(SIGNET_ERR_TOKEN, "not yet");
}
