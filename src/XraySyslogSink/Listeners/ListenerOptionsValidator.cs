using System.Net;
using XraySyslogSink.Core;
using XraySyslogSink.Listeners.Security;

namespace XraySyslogSink.Listeners;

internal sealed class ListenerOptionsValidator() : SectionValidator<ListenerOptions>(ListenerOptions.SectionName)
{
    protected override void ValidateMore(ListenerOptions options, List<string> failures)
    {
        if (!ListenAddress.TryParse(options.Udp, out _, out string? udpError))
        {
            failures.Add($"{Key(nameof(options.Udp))}: {udpError}");
        }

        if (!ListenAddress.TryParse(options.Tcp, out _, out string? tcpError))
        {
            failures.Add($"{Key(nameof(options.Tcp))}: {tcpError}");
        }

        if (!ListenAddress.TryParse(options.Relp, out IPEndPoint? relp, out string? relpError))
        {
            failures.Add($"{Key(nameof(options.Relp))}: {relpError}");
        }
        else if (relp is not null && relp.Port != 0 && ListenAddress.TryParse(options.Tcp, out IPEndPoint? tcp, out _) && tcp is not null && tcp.Port == relp.Port)
        {
            failures.Add($"{Key(nameof(options.Relp))} and {Key(nameof(options.Tcp))} cannot share port {relp.Port}");
        }

        if (options.MaxOctetCount < options.MaxMessageSize)
        {
            failures.Add($"{Key(nameof(options.MaxOctetCount))} must not be below {Key(nameof(options.MaxMessageSize))}");
        }

        RequirePositive(options.IdleTimeout, nameof(options.IdleTimeout), failures);
        RequirePositive(options.SendTimeout, nameof(options.SendTimeout), failures);
        foreach ((string name, TimeSpan value) in (ReadOnlySpan<(string, TimeSpan)>)[(nameof(options.EstablishedIdleTimeout), options.EstablishedIdleTimeout), (nameof(options.KeepAliveTime), options.KeepAliveTime)])
        {
            if (value < TimeSpan.Zero)
            {
                failures.Add($"{Key(name)} must be 00:00:00 (off) or a positive time span (got {value})");
            }
        }
        ValidateSecurity(options, failures);
    }

    private void ValidateSecurity(ListenerOptions options, List<string> failures)
    {
        var ports = new Dictionary<int, string>();
        foreach ((string name, string value) in (ReadOnlySpan<(string, string)>)[(nameof(options.Tcp), options.Tcp), (nameof(options.Relp), options.Relp), (nameof(options.Tls), options.Tls), (nameof(options.RelpTls), options.RelpTls)])
        {
            if (!ListenAddress.TryParse(value, out IPEndPoint? endPoint, out string? error))
            {
                if (name is nameof(options.Tls) or nameof(options.RelpTls))
                {
                    failures.Add($"{Key(name)}: {error}");
                }

                continue;
            }

            if (endPoint is null || endPoint.Port == 0)
            {
                continue;
            }

            if (ports.TryGetValue(endPoint.Port, out string? other))
            {
                // Tcp and Relp sharing a port is reported above.
                if (!(other == nameof(options.Tcp) && name == nameof(options.Relp)))
                {
                    failures.Add($"{Key(name)} and {Key(other)} cannot share port {endPoint.Port}");
                }
            }
            else
            {
                ports[endPoint.Port] = name;
            }
        }

        if (SourceFilter.Validate(options) is { } sourceError)
        {
            failures.Add(sourceError);
        }

        if (options.MaxBufferedBytesPerConnection < options.MaxMessageSize + 1024)
        {
            failures.Add($"{Key(nameof(options.MaxBufferedBytesPerConnection))} must be at least {Key(nameof(options.MaxMessageSize))} + 1024 (got {options.MaxBufferedBytesPerConnection})");
        }

        if (options.MaxConnectionsPerSource > options.MaxConnections)
        {
            failures.Add($"{Key(nameof(options.MaxConnectionsPerSource))} must not be above {Key(nameof(options.MaxConnections))}");
        }
    }
}
