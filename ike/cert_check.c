/*
 * cert_check.c - what a peer's certificate must pass (see cert.h): the chain to one of
 * our CAs with our CRLs, its validity now, the identity the peer claims in it, the
 * signature made with its key; and distinguished names as text both ways.
 *
 * Each way a certificate fails maps to a cause of its own (cert-expired, cert-revoked
 * ...): OpenSSL's verification error says which, and the first error it meets decides.
 */
#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <openssl/err.h>
#include <openssl/objects.h>
#include <openssl/x509v3.h>

#include "ike/cert_priv.h"
#include "ike/ike.h"
#include "ike/sig.h"

#define DN_TEXT_MAX 1024 /* a DN as text that we parse */

struct ike_cert *ike_cert_parse(const uint8_t *der, size_t len)
{
	const unsigned char *p = der;
	struct ike_cert *c;
	X509 *x;

	if (der == NULL || len == 0 || len > IKE_CERT_DER_MAX)
		return NULL;
	x = d2i_X509(NULL, &p, (long)len);
	if (x == NULL || p != der + len) {
		X509_free(x);
		ERR_clear_error();
		return NULL;
	}
	c = malloc(sizeof(*c));
	if (c == NULL) {
		X509_free(x);
		return NULL;
	}
	c->x = x;
	return c;
}

void ike_cert_free(struct ike_cert *c)
{
	if (c == NULL)
		return;
	X509_free(c->x);
	free(c);
}

enum ike_cause ike_x509_time_check(const X509 *x, time_t now)
{
	/* X509_cmp_time: -1 when the time is at or before now, 1 after, 0 on error */
	if (X509_cmp_time(X509_get0_notAfter(x), &now) < 0)
		return IKE_CAUSE_CERT_EXPIRED;
	if (X509_cmp_time(X509_get0_notBefore(x), &now) > 0)
		return IKE_CAUSE_CERT_NOT_YET_VALID;
	return IKE_CAUSE_NONE;
}

/* "the peer's certificate" at depth 0, "its issuer (depth N)" above. */
static const char *whose(int depth, char *buf, size_t len)
{
	if (depth <= 0)
		return "the peer's certificate";
	snprintf(buf, len, "issuer at depth %d", depth);
	return buf;
}

static enum ike_cause verify_error(X509_STORE_CTX *ctx, char *detail, size_t len)
{
	int err = X509_STORE_CTX_get_error(ctx), depth = X509_STORE_CTX_get_error_depth(ctx);
	char who[32];

	switch (err) {
	case X509_V_ERR_CERT_HAS_EXPIRED:
		snprintf(detail, len, "%s expired", whose(depth, who, sizeof(who)));
		return IKE_CAUSE_CERT_EXPIRED;
	case X509_V_ERR_CERT_NOT_YET_VALID:
		snprintf(detail, len, "%s is not valid yet", whose(depth, who, sizeof(who)));
		return IKE_CAUSE_CERT_NOT_YET_VALID;
	case X509_V_ERR_CERT_REVOKED:
		snprintf(detail, len, "%s is revoked (CRL)", whose(depth, who, sizeof(who)));
		return IKE_CAUSE_CERT_REVOKED;
	default:
		snprintf(detail, len, "%s", X509_verify_cert_error_string(err));
		return IKE_CAUSE_CERT_UNTRUSTED;
	}
}

enum ike_cause ike_cert_verify(const struct ike_creds *trust, const struct ike_cert *ee,
                               struct ike_cert *const *chain, size_t n, time_t at, char *detail,
                               size_t len)
{
	X509_STORE_CTX *ctx = X509_STORE_CTX_new();
	STACK_OF(X509) *sk = sk_X509_new_null();
	enum ike_cause c = IKE_CAUSE_INTERNAL;

	snprintf(detail, len, "verifying the certificate");
	if (trust == NULL || trust->store == NULL || ee == NULL || ctx == NULL || sk == NULL)
		goto done;
	for (size_t i = 0; i < n; i++)
		if (sk_X509_push(sk, chain[i]->x) <= 0)
			goto done;
	if (X509_STORE_CTX_init(ctx, trust->store, ee->x, sk) != 1)
		goto done;
	if (at != 0)
		X509_STORE_CTX_set_time(ctx, 0, at);
	if (X509_verify_cert(ctx) == 1) {
		detail[0] = '\0';
		c = IKE_CAUSE_NONE;
	} else {
		c = verify_error(ctx, detail, len);
	}
done:
	X509_STORE_CTX_free(ctx);
	sk_X509_free(sk); /* the certificates stay their owners' */
	ERR_clear_error();
	return c;
}

/* Whether a subjectAltName of kind (GEN_DNS, GEN_EMAIL) is name, without regard to case. */
static bool san_has(X509 *x, int kind, const uint8_t *name, size_t len)
{
	GENERAL_NAMES *gens = X509_get_ext_d2i(x, NID_subject_alt_name, NULL, NULL);
	bool found = false;

	for (int i = 0; gens != NULL && i < sk_GENERAL_NAME_num(gens) && !found; i++) {
		const GENERAL_NAME *g = sk_GENERAL_NAME_value(gens, i);
		const ASN1_IA5STRING *s;

		if (g->type != kind)
			continue;
		s = kind == GEN_DNS ? g->d.dNSName : g->d.rfc822Name;
		found = (size_t)ASN1_STRING_length(s) == len && len > 0 &&
		        memchr(name, '\0', len) == NULL &&
		        strncasecmp((const char *)ASN1_STRING_get0_data(s), (const char *)name,
		                    len) == 0;
	}
	GENERAL_NAMES_free(gens);
	return found;
}

bool ike_x509_has_id(X509 *x, uint8_t type, const uint8_t *data, size_t len)
{
	const unsigned char *p = data;
	X509_NAME *name;
	bool eq;

	switch (type) {
	case IKE_ID_IPV4_ADDR:
		return len == 4 && X509_check_ip(x, data, 4, 0) == 1;
	case IKE_ID_IPV6_ADDR:
		return len == 16 && X509_check_ip(x, data, 16, 0) == 1;
	case IKE_ID_FQDN:
		return san_has(x, GEN_DNS, data, len);
	case IKE_ID_USER_FQDN:
		return san_has(x, GEN_EMAIL, data, len);
	case IKE_ID_DER_ASN1_DN:
		name = d2i_X509_NAME(NULL, &p, (long)len);
		eq = name != NULL && p == data + len &&
		     X509_NAME_cmp(name, X509_get_subject_name(x)) == 0;
		X509_NAME_free(name);
		ERR_clear_error();
		return eq;
	default:
		return false;
	}
}

bool ike_cert_has_id(const struct ike_cert *c, uint8_t type, const uint8_t *data, size_t len)
{
	return c != NULL && data != NULL && ike_x509_has_id(c->x, type, data, len);
}

int ike_cert_verify_sig(const struct ike_cert *c, uint16_t method, const uint8_t *hash,
                        size_t hash_len, const uint8_t *sig, size_t sig_len)
{
	int r;

	if (c == NULL)
		return -1;
	r = ike_sig_verify(X509_get0_pubkey(c->x), method, hash, hash_len, sig, sig_len);
	ERR_clear_error();
	return r;
}

uint16_t ike_cert_auth(const struct ike_cert *c)
{
	return c != NULL ? ike_sig_method(X509_get0_pubkey(c->x)) : 0;
}

void ike_cert_subject(const struct ike_cert *c, char *buf, size_t len)
{
	if (c == NULL) {
		snprintf(buf, len, "%s", "");
		return;
	}
	ike_name_to_text(X509_get_subject_name(c->x), buf, len);
}

/* ---- distinguished names as text ---- */

struct text {
	char *p;
	size_t cap, len;
	bool cut;
};

static void put_char(struct text *t, char ch)
{
	if (t->len + 1 < t->cap)
		t->p[t->len++] = ch;
	else
		t->cut = true;
}

static void put_str(struct text *t, const char *s)
{
	for (; *s != '\0'; s++)
		put_char(t, *s);
}

/* A value: printable ASCII, ',' and '\' escaped, anything else as '?'. */
static void put_value(struct text *t, const unsigned char *v, int n)
{
	for (int i = 0; i < n; i++) {
		if (v[i] == ',' || v[i] == '\\')
			put_char(t, '\\');
		put_char(t, v[i] < 0x80 && isprint(v[i]) ? (char)v[i] : '?');
	}
}

int ike_name_to_text(const X509_NAME *name, char *out, size_t cap)
{
	struct text t = {out, cap, 0, false};
	char oid[64];

	if (cap == 0)
		return -1;
	for (int i = 0; i < X509_NAME_entry_count(name); i++) {
		const X509_NAME_ENTRY *e = X509_NAME_get_entry(name, i);
		const ASN1_OBJECT *o = X509_NAME_ENTRY_get_object(e);
		int nid = OBJ_obj2nid(o), n;
		unsigned char *utf8 = NULL;

		if (nid == NID_undef || OBJ_nid2sn(nid) == NULL)
			OBJ_obj2txt(oid, sizeof(oid), o, 1);
		else
			snprintf(oid, sizeof(oid), "%s", OBJ_nid2sn(nid));
		if (i > 0)
			put_str(&t, ", ");
		put_str(&t, oid);
		put_char(&t, '=');
		n = ASN1_STRING_to_UTF8(&utf8, X509_NAME_ENTRY_get_data(e));
		if (n > 0)
			put_value(&t, utf8, n);
		OPENSSL_free(utf8);
	}
	out[t.len] = '\0';
	if (!t.cut)
		return 0;
	/* what fit, marked as cut */
	if (cap > 4)
		memcpy(out + (t.len > cap - 4 ? cap - 4 : t.len), "...", 4);
	return -1;
}

int ike_dn_to_text(const uint8_t *der, size_t len, char *out, size_t cap)
{
	const unsigned char *p = der;
	X509_NAME *name;
	int r = -1;

	if (cap == 0)
		return -1;
	out[0] = '\0';
	name = der != NULL && len > 0 ? d2i_X509_NAME(NULL, &p, (long)len) : NULL;
	if (name != NULL && p == der + len)
		r = ike_name_to_text(name, out, cap);
	X509_NAME_free(name);
	ERR_clear_error();
	return r;
}

static char *trim(char *s)
{
	char *e;

	while (*s == ' ' || *s == '\t')
		s++;
	e = s + strlen(s);
	while (e > s && (e[-1] == ' ' || e[-1] == '\t'))
		*--e = '\0';
	return s;
}

/* An attribute's NID from its name in any case ("CN", "cn", "commonName", "E", OID). */
static int attr_nid(const char *attr)
{
	char up[32];
	size_t i, n = strlen(attr);
	int nid = OBJ_txt2nid(attr);

	if (nid != NID_undef)
		return nid;
	if (strcasecmp(attr, "E") == 0 || strcasecmp(attr, "email") == 0 ||
	    strcasecmp(attr, "emailAddress") == 0)
		return NID_pkcs9_emailAddress;
	if (n >= sizeof(up))
		return NID_undef;
	for (i = 0; i <= n; i++)
		up[i] = (char)toupper((unsigned char)attr[i]);
	return OBJ_txt2nid(up);
}

/* One "attr=value" (value unescaped in place) into name. */
static int add_rdn(X509_NAME *name, char *rdn)
{
	char *eq = strchr(rdn, '='), *val;
	int nid;

	if (eq == NULL)
		return -1;
	*eq = '\0';
	val = trim(eq + 1);
	nid = attr_nid(trim(rdn));
	if (nid == NID_undef || *val == '\0')
		return -1;
	return X509_NAME_add_entry_by_NID(name, nid, MBSTRING_UTF8, (const unsigned char *)val, -1,
	                                  -1, 0) == 1
	           ? 0
	           : -1;
}

/* "C=CH, O=x, CN=y" or "/C=CH/O=x/CN=y" into a new name; NULL when it is none. */
static X509_NAME *parse_dn(const char *text)
{
	char buf[DN_TEXT_MAX], *p, *w, *rdn, sep = ',';
	X509_NAME *name;

	if (text == NULL || strlen(text) >= sizeof(buf) || (name = X509_NAME_new()) == NULL)
		return NULL;
	snprintf(buf, sizeof(buf), "%s", text);
	p = trim(buf);
	if (*p == '/') {
		sep = '/';
		p++;
	}
	/* unescape into place, cutting at unescaped separators */
	for (rdn = w = p; *p != '\0'; p++) {
		if (*p == '\\' && p[1] != '\0') {
			*w++ = *++p;
			continue;
		}
		if (*p != sep) {
			*w++ = *p;
			continue;
		}
		*w = '\0';
		if (add_rdn(name, rdn) != 0)
			goto bad;
		rdn = w = p + 1;
	}
	*w = '\0';
	if (add_rdn(name, rdn) != 0 || X509_NAME_entry_count(name) == 0)
		goto bad;
	return name;
bad:
	X509_NAME_free(name);
	ERR_clear_error();
	return NULL;
}

int ike_dn_from_text(const char *text, uint8_t *der, size_t cap, size_t *len)
{
	X509_NAME *name = parse_dn(text);
	unsigned char *p = der;
	int n = name != NULL ? i2d_X509_NAME(name, NULL) : 0;

	if (n <= 0 || (size_t)n > cap || i2d_X509_NAME(name, &p) != n) {
		X509_NAME_free(name);
		ERR_clear_error();
		return -1;
	}
	*len = (size_t)n;
	X509_NAME_free(name);
	return 0;
}

int ike_dn_canonical(const char *text, char *out, size_t cap)
{
	X509_NAME *name = parse_dn(text);
	int r = name != NULL ? ike_name_to_text(name, out, cap) : -1;

	X509_NAME_free(name);
	return r;
}

bool ike_dn_text_equal(const char *a, const char *b)
{
	X509_NAME *x = parse_dn(a), *y = parse_dn(b);
	bool eq = x != NULL && y != NULL && X509_NAME_cmp(x, y) == 0;

	X509_NAME_free(x);
	X509_NAME_free(y);
	ERR_clear_error();
	return eq;
}
