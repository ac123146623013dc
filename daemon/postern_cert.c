/* postern_cert.c: the self-signed certificate of `postern init`, made with
 * GnuTLS's API: an ECDSA P-256 key, SHA-256 signature, valid three years,
 * subjectAltName with the host name, "localhost" and 127.0.0.1 (clients
 * such as mbsync check the name even for a pinned certificate).  This is
 * the only file of `postern` that uses GnuTLS; libpostern never does. */
#include <arpa/inet.h>
#include <gnutls/gnutls.h>
#include <gnutls/crypto.h>
#include <gnutls/x509.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "postern.h"

#define CERT_DAYS (3 * 365)

#define TRY(what, call) do { \
	int rc_ = (call); \
	if (rc_ < 0) { \
		snprintf(emsg, errlen, "%s: %s", what, gnutls_strerror(rc_)); \
		goto out; \
	} \
} while (0)

int
cert_create(const char *hostname, const char *cert_path, const char *key_path,
    char *emsg, size_t errlen)
{
	gnutls_x509_privkey_t key = NULL;
	gnutls_x509_crt_t crt = NULL;
	gnutls_datum_t kpem = { NULL, 0 }, cpem = { NULL, 0 };
	unsigned char serial[16], loop[4];
	time_t now = time(NULL);
	int ret = -1;

	TRY("gnutls_global_init", gnutls_global_init());
	TRY("privkey_init", gnutls_x509_privkey_init(&key));
	TRY("generate key", gnutls_x509_privkey_generate(key, GNUTLS_PK_ECDSA,
	    GNUTLS_CURVE_TO_BITS(GNUTLS_ECC_CURVE_SECP256R1), 0));
	TRY("crt_init", gnutls_x509_crt_init(&crt));
	TRY("set version", gnutls_x509_crt_set_version(crt, 3));
	TRY("random serial", gnutls_rnd(GNUTLS_RND_NONCE, serial, sizeof(serial)));
	serial[0] &= 0x7f;   /* a positive INTEGER */
	serial[0] |= 0x01;   /* and no leading zero byte */
	TRY("set serial", gnutls_x509_crt_set_serial(crt, serial, sizeof(serial)));
	TRY("set activation", gnutls_x509_crt_set_activation_time(crt, now - 3600));
	TRY("set expiration", gnutls_x509_crt_set_expiration_time(crt,
	    now + (time_t)CERT_DAYS * 86400));
	TRY("set CN", gnutls_x509_crt_set_dn_by_oid(crt,
	    GNUTLS_OID_X520_COMMON_NAME, 0, hostname, strlen(hostname)));
	TRY("set O", gnutls_x509_crt_set_dn_by_oid(crt,
	    GNUTLS_OID_X520_ORGANIZATION_NAME, 0, "postern self-signed", 19));
	TRY("set SAN", gnutls_x509_crt_set_subject_alt_name(crt,
	    GNUTLS_SAN_DNSNAME, hostname, strlen(hostname), GNUTLS_FSAN_SET));
	if (strcmp(hostname, "localhost") != 0)
		TRY("set SAN", gnutls_x509_crt_set_subject_alt_name(crt,
		    GNUTLS_SAN_DNSNAME, "localhost", 9, GNUTLS_FSAN_APPEND));
	inet_pton(AF_INET, "127.0.0.1", loop);
	TRY("set SAN", gnutls_x509_crt_set_subject_alt_name(crt,
	    GNUTLS_SAN_IPADDRESS, loop, sizeof(loop), GNUTLS_FSAN_APPEND));
	TRY("set key", gnutls_x509_crt_set_key(crt, key));
	TRY("basic constraints", gnutls_x509_crt_set_basic_constraints(crt, 0, -1));
	TRY("key usage", gnutls_x509_crt_set_key_usage(crt,
	    GNUTLS_KEY_DIGITAL_SIGNATURE));
	TRY("key purpose", gnutls_x509_crt_set_key_purpose_oid(crt,
	    GNUTLS_KP_TLS_WWW_SERVER, 0));
	{
		unsigned char id[64];
		size_t idlen = sizeof(id);
		TRY("key id", gnutls_x509_crt_get_key_id(crt, 0, id, &idlen));
		TRY("subject key id", gnutls_x509_crt_set_subject_key_id(crt, id, idlen));
	}
	TRY("sign", gnutls_x509_crt_sign2(crt, crt, key, GNUTLS_DIG_SHA256, 0));
	TRY("export key", gnutls_x509_privkey_export2_pkcs8(key,
	    GNUTLS_X509_FMT_PEM, NULL, GNUTLS_PKCS_PLAIN, &kpem));
	TRY("export certificate", gnutls_x509_crt_export2(crt,
	    GNUTLS_X509_FMT_PEM, &cpem));
	if (write_file_atomic(key_path, kpem.data, kpem.size, 0600) < 0) {
		snprintf(emsg, errlen, "%s: %m", key_path);
		goto out;
	}
	if (write_file_atomic(cert_path, cpem.data, cpem.size, 0644) < 0) {
		snprintf(emsg, errlen, "%s: %m", cert_path);
		goto out;
	}
	ret = 0;
out:
	if (kpem.data != NULL) {
		memset(kpem.data, 0, kpem.size);
		gnutls_free(kpem.data);
	}
	gnutls_free(cpem.data);
	if (crt != NULL)
		gnutls_x509_crt_deinit(crt);
	if (key != NULL)
		gnutls_x509_privkey_deinit(key);
	gnutls_global_deinit();
	return ret;
}
