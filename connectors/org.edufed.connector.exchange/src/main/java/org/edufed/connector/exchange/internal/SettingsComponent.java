package org.edufed.connector.exchange.internal;

import java.util.List;
import java.util.Optional;
import org.edufed.kernel.api.federation.EffectiveSetting;
import org.edufed.kernel.api.federation.Inheritance;
import org.edufed.kernel.api.federation.LockedException;
import org.edufed.kernel.api.federation.Mode;
import org.edufed.kernel.api.federation.Settings;
import org.osgi.service.component.annotations.Activate;
import org.osgi.service.component.annotations.Component;
import org.osgi.service.component.annotations.Reference;

/** The node settings: the {@value Inheritance#SETTINGS} topic of {@link InheritanceComponent}, values ≤ 4,000. */
@Component(service = Settings.class)
public final class SettingsComponent implements Settings {

    static final int MAX_VALUE = 4000;

    private final InheritanceComponent inheritance;

    @Activate
    public SettingsComponent(@Reference InheritanceComponent inheritance) {
        this.inheritance = inheritance;
    }

    @Override
    public List<EffectiveSetting> effective() {
        return inheritance.effective(Inheritance.SETTINGS).stream()
                .map(SettingsComponent::setting)
                .toList();
    }

    @Override
    public Optional<EffectiveSetting> effective(String key) {
        return inheritance.effective(Inheritance.SETTINGS, key).map(SettingsComponent::setting);
    }

    @Override
    public EffectiveSetting set(String key, String value, Mode mode) throws LockedException {
        if (value == null) {
            throw new IllegalArgumentException("setting.badValue");
        }
        if (mode == null) {
            throw new IllegalArgumentException("setting.badMode");
        }
        inheritance.change(Inheritance.SETTINGS, List.of(new Inheritance.Change(key, value, mode)), MAX_VALUE);
        return effective(key).orElseThrow();
    }

    @Override
    public boolean remove(String key) throws LockedException {
        return inheritance.change(Inheritance.SETTINGS, List.of(Inheritance.Change.remove(key)), MAX_VALUE) > 0;
    }

    @Override
    public int setAll(List<Inheritance.Change> changes) throws LockedException {
        return inheritance.change(Inheritance.SETTINGS, changes, MAX_VALUE);
    }

    private static EffectiveSetting setting(Inheritance.Item item) {
        return new EffectiveSetting(item.key(), item.value(), item.provenance(), item.version());
    }
}
