using Microsoft.Extensions.Configuration;

namespace XraySyslogSink.Hosting.Reload;

/// <summary>
/// A group of settings that may change while the daemon runs (time zones, log levels, allow-lists...), applied by
/// <see cref="ConfigurationReloadHub"/> in two phases so that a reload is all or nothing.
/// </summary>
/// <remarks>
/// To make more settings reloadable, implement this and register it with
/// <c>services.AddSingleton&lt;IReloadableSettings, MySettingsReload&gt;()</c>: <see cref="Prepare"/> reads and
/// validates the section from the freshly read configuration and builds the new immutable state;
/// the returned action only swaps it in (one reference write, no lock on the hot path).
/// </remarks>
internal interface IReloadableSettings
{
    /// <summary>What the log line names when these settings changed, e.g. <c>time zones</c>.</summary>
    string Name { get; }

    /// <summary>
    /// Reads these settings from <paramref name="configuration"/> without changing anything. Adds one message
    /// per invalid key (naming the key) to <paramref name="failures"/> and returns null when they are invalid;
    /// returns null without failures when nothing changed; else returns the action that applies them, which
    /// the hub calls only once every subscriber has prepared successfully and which must not throw.
    /// </summary>
    Action? Prepare(IConfiguration configuration, ICollection<string> failures);
}
