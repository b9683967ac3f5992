package org.edufed.kernel.web.internal;

import java.text.MessageFormat;
import java.util.List;
import java.util.Locale;
import java.util.MissingResourceException;
import java.util.ResourceBundle;

/** The web layer's texts: zh-CN by default, English when asked for. */
public final class Messages {

    public static final Locale ZH = Locale.SIMPLIFIED_CHINESE;
    private static final String BUNDLE = "org.edufed.kernel.web.i18n.messages";
    // no fallback to the JVM's default locale: zh-CN is the base bundle
    private static final ResourceBundle.Control CONTROL =
            ResourceBundle.Control.getNoFallbackControl(ResourceBundle.Control.FORMAT_PROPERTIES);

    private Messages() {}

    /** English when the language is English; zh-CN otherwise. */
    public static Locale supported(Locale requested) {
        return requested != null && "en".equals(requested.getLanguage()) ? Locale.ENGLISH : ZH;
    }

    /** The first supported language of an Accept-Language list, zh-CN when none. */
    public static Locale fromAcceptLanguage(List<Locale> acceptable) {
        for (Locale l : acceptable) {
            if ("en".equals(l.getLanguage())) {
                return Locale.ENGLISH;
            }
            if ("zh".equals(l.getLanguage())) {
                return ZH;
            }
        }
        return ZH;
    }

    private static ResourceBundle bundle(Locale locale) {
        return ResourceBundle.getBundle(
                BUNDLE,
                Locale.ENGLISH.equals(supported(locale)) ? Locale.ENGLISH : Locale.ROOT,
                Messages.class.getClassLoader(),
                CONTROL);
    }

    /** Every text in the locale, for templates. */
    public static java.util.Map<String, String> all(Locale locale) {
        ResourceBundle bundle = bundle(locale);
        java.util.Map<String, String> out = new java.util.HashMap<>();
        for (String key : bundle.keySet()) {
            out.put(key, bundle.getString(key));
        }
        return out;
    }

    public static String get(Locale locale, String key, Object... args) {
        ResourceBundle bundle = bundle(locale);
        try {
            String text = bundle.getString(key);
            return args.length == 0 ? text : new MessageFormat(text, locale).format(args);
        } catch (MissingResourceException e) {
            return key;
        }
    }
}
