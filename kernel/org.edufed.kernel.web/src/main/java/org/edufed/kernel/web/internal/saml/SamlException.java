package org.edufed.kernel.web.internal.saml;

/**
 * A SAML message refused. The message is a stable key ({@code sso.badSignature}, {@code sso.audience}, …) that
 * the console translates and the audit trail records; {@link #detail()} says more, for the log only.
 */
public final class SamlException extends Exception {
    private static final long serialVersionUID = 1L;

    private final String detail;

    public SamlException(String key, String detail) {
        super(key);
        this.detail = detail;
    }

    public String key() {
        return getMessage();
    }

    public String detail() {
        return detail;
    }
}
