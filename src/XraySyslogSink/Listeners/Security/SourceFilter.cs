using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace XraySyslogSink.Listeners.Security;

/// <summary>The listeners an allow list can be set for (<c>Listeners:AllowedSourcesByListener:&lt;name&gt;</c>).</summary>
internal enum ListenerKind
{
    Udp,
    Tcp,
    Tls,
    Relp,
    RelpTls,
}

/// <summary>
/// The current source allow list of every listener. Listeners ask <see cref="For"/> for each datagram or
/// connection, so a new list (from <see cref="Update"/>, called when the <c>Listeners</c> options change)
/// applies to the next datagram and the next connection, while open connections keep going.
/// </summary>
internal sealed partial class SourceFilter : IDisposable
{
    private static readonly ListenerKind[] Kinds = Enum.GetValues<ListenerKind>();

    private readonly ILogger _logger;
    private readonly IDisposable? _subscription;
    private SourceAllowList[] _lists;

    public SourceFilter(IOptionsMonitor<ListenerOptions> options, ILogger<SourceFilter> logger)
    {
        ArgumentNullException.ThrowIfNull(options);
        _logger = logger;
        // Validated at start, so the first build cannot fail; a bad reload keeps the previous lists.
        _lists = Build(options.CurrentValue, out string? error) ?? throw new InvalidOperationException(error);
        _subscription = options.OnChange(changed => Update(changed));
    }

    /// <summary>A fixed filter (for tools and tests).</summary>
    public SourceFilter(ListenerOptions options, ILogger logger)
    {
        _logger = logger;
        _lists = Build(options, out string? error) ?? throw new InvalidOperationException(error);
    }

    /// <summary>The list in force for <paramref name="kind"/>; read it per datagram or connection, do not keep it.</summary>
    public SourceAllowList For(ListenerKind kind) => Volatile.Read(ref _lists)[(int)kind];

    /// <summary>Installs the lists of <paramref name="options"/>; when one does not parse, keeps the current lists and returns false.</summary>
    public bool Update(ListenerOptions options)
    {
        SourceAllowList[]? lists = Build(options, out string? error);
        if (lists is null)
        {
            LogReloadRejected(error!);
            return false;
        }

        Volatile.Write(ref _lists, lists);
        foreach (ListenerKind kind in Kinds)
        {
            LogInForce(kind, lists[(int)kind]);
        }

        return true;
    }

    /// <summary>The validator's check: every configured list parses and names a known listener.</summary>
    public static string? Validate(ListenerOptions options)
    {
        Build(options, out string? error);
        return error;
    }

    public void Dispose() => _subscription?.Dispose();

    private static SourceAllowList[]? Build(ListenerOptions options, out string? error)
    {
        if (!SourceAllowList.TryParse(options.AllowedSources, out SourceAllowList common, out error))
        {
            error = $"{ListenerOptions.SectionName}:{nameof(ListenerOptions.AllowedSources)}: {error}";
            return null;
        }

        var lists = new SourceAllowList[Kinds.Length];
        Array.Fill(lists, common);
        foreach ((string name, string[] entries) in options.AllowedSourcesByListener)
        {
            string key = $"{ListenerOptions.SectionName}:{nameof(ListenerOptions.AllowedSourcesByListener)}:{name}";
            if (!Enum.TryParse(name, ignoreCase: true, out ListenerKind kind) || !Enum.IsDefined(kind) || int.TryParse(name, out _))
            {
                error = $"{key}: unknown listener; use one of {string.Join(", ", Kinds)}";
                return null;
            }

            if (entries.Length == 0)
            {
                continue;
            }

            if (!SourceAllowList.TryParse(entries, out SourceAllowList own, out error))
            {
                error = $"{key}: {error}";
                return null;
            }

            lists[(int)kind] = own;
        }

        error = null;
        return lists;
    }

    [LoggerMessage(Level = LogLevel.Information, Message = "Allowed sources for {Listener}: {Sources}")]
    private partial void LogInForce(ListenerKind listener, SourceAllowList sources);

    [LoggerMessage(Level = LogLevel.Error, Message = "New allowed-source lists ignored, the previous ones stay in force: {Error}")]
    private partial void LogReloadRejected(string error);
}
