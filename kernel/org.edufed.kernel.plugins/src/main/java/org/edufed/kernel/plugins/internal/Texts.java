package org.edufed.kernel.plugins.internal;

import java.text.MessageFormat;
import java.util.List;
import java.util.Locale;
import java.util.MissingResourceException;
import java.util.ResourceBundle;

/** The plugin platform's texts: zh-CN by default, English when the caller asks for it. */
final class Texts {
    private static final ResourceBundle.Control NO_FALLBACK =
            ResourceBundle.Control.getNoFallbackControl(ResourceBundle.Control.FORMAT_PROPERTIES);

    private Texts() {}

    static Locale of(List<Locale> acceptable) {
        for (Locale l : acceptable) {
            if ("en".equals(l.getLanguage())) {
                return Locale.ENGLISH;
            }
            if ("zh".equals(l.getLanguage())) {
                return Locale.ROOT;
            }
        }
        return Locale.ROOT;
    }

    static Locale of(Locale locale) {
        return locale != null && "en".equals(locale.getLanguage()) ? Locale.ENGLISH : Locale.ROOT;
    }

    static String get(Locale locale, String key, Object... args) {
        ResourceBundle b = ResourceBundle.getBundle(
                "org.edufed.kernel.plugins.i18n.texts",
                Locale.ENGLISH.equals(of(locale)) ? Locale.ENGLISH : Locale.ROOT,
                Texts.class.getClassLoader(),
                NO_FALLBACK);
        try {
            return MessageFormat.format(b.getString(key), args);
        } catch (MissingResourceException e) {
            return key;
        }
    }
}
