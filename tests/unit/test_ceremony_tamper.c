/*
 * Transcript tampering on its own: every byte of one transcript and of
 * every signature, a sample of the others (see test_ceremony.c).
 */
#define CEREMONY_TAMPER 1
#include "test_ceremony.c"
