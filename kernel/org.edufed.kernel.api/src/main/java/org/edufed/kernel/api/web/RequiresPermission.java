package org.edufed.kernel.api.web;

import java.lang.annotation.ElementType;
import java.lang.annotation.Retention;
import java.lang.annotation.RetentionPolicy;
import java.lang.annotation.Target;

/**
 * The permission a REST method (or every method of a resource class) requires. A part written as
 * {@code {name}} is replaced by the request's path parameter of that name, e.g. {@code {topic}:write} for
 * {@code /inherited/{topic}}; a parameter value with characters other than letters, digits, {@code .},
 * {@code _} and {@code -} is refused (it could otherwise widen a wildcard permission).
 */
@Retention(RetentionPolicy.RUNTIME)
@Target({ElementType.METHOD, ElementType.TYPE})
public @interface RequiresPermission {
    /** {@link #unit()} for a resource that filters its data by the user's scope. */
    String ANY_UNIT = "*";

    String value();

    /** Over which unit: {@code ""} the whole node, {@code "{param}"} the unit a parameter names, or {@link #ANY_UNIT}. */
    String unit() default "";
}
