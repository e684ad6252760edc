using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.Options;
using XraySyslogSink.Listeners;
using XraySyslogSink.Listeners.Security;

namespace XraySyslogSink.Hosting.Reload;

/// <summary>
/// Reloads <c>Listeners:AllowedSources</c> and <c>Listeners:AllowedSourcesByListener:*</c> into <see cref="SourceFilter"/>
/// (the next datagram and the next connection see them; open connections keep going). The other listener settings
/// (addresses, limits, TLS) are not reloadable and are not looked at here.
/// </summary>
internal sealed class AllowListReload : IReloadableSettings
{
    private readonly SourceFilter _filter;
    private string _current;

    public AllowListReload(SourceFilter filter, IOptions<ListenerOptions> initial)
    {
        _filter = filter;
        _current = Describe(initial.Value);
    }

    public string Name => "allowed sources";

    public Action? Prepare(IConfiguration configuration, ICollection<string> failures)
    {
        var options = new ListenerOptions();
        configuration.GetSection(ListenerOptions.SectionName).Bind(options);
        if (SourceFilter.Validate(options) is { } error)
        {
            failures.Add(error);
            return null;
        }

        string described = Describe(options);
        if (described == _current)
        {
            return null;
        }

        return () =>
        {
            _filter.Update(options);
            _current = described;
        };
    }

    private static string Describe(ListenerOptions options) =>
        string.Join(',', options.AllowedSources) + ";" + string.Join(';', options.AllowedSourcesByListener
            .OrderBy(l => l.Key, StringComparer.OrdinalIgnoreCase)
            .Select(l => l.Key.ToUpperInvariant() + "=" + string.Join(',', l.Value)));
}
