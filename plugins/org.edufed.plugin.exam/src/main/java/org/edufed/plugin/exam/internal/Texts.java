package org.edufed.plugin.exam.internal;

import java.util.List;
import java.util.Locale;
import java.util.MissingResourceException;
import java.util.ResourceBundle;

/** The exam's texts in zh-CN (default) and English. */
final class Texts {

    private static final String BUNDLE = "org.edufed.plugin.exam.i18n.texts";

    private Texts() {}

    /** English when the first acceptable language is English, else zh-CN. */
    static Locale of(List<Locale> acceptable) {
        return acceptable != null
                        && !acceptable.isEmpty()
                        && "en".equals(acceptable.get(0).getLanguage())
                ? Locale.ENGLISH
                : Locale.SIMPLIFIED_CHINESE;
    }

    static String get(Locale locale, String key) {
        try {
            return ResourceBundle.getBundle(
                            BUNDLE,
                            "en".equals(locale.getLanguage()) ? Locale.ENGLISH : Locale.ROOT,
                            Texts.class.getClassLoader(),
                            ResourceBundle.Control.getNoFallbackControl(ResourceBundle.Control.FORMAT_PROPERTIES))
                    .getString(key);
        } catch (MissingResourceException e) {
            return key;
        }
    }
}
