using System.Net;
using Microsoft.Extensions.Logging.Abstractions;
using XraySyslogSink.Core;
using XraySyslogSink.Listeners.Security;
using XraySyslogSink.Listeners;

namespace XraySyslogSink.Tests.Listeners;

public sealed class ConnectionAdmissionTests
{
    [Fact]
    public void Admission_enforces_the_allow_list_the_total_and_the_per_source_limits()
    {
        var admission = Admission(new ListenerOptions { MaxConnections = 3, MaxConnectionsPerSource = 2, AllowedSources = ["127.0.0.0/8"] });
        InetValue a = Address("127.0.0.1");
        InetValue b = Address("127.0.0.2");
        Assert.Equal(ConnectionAdmission.SourceNotAllowed, Refusal(admission, Address("10.0.0.1")));
        AdmissionTicket first = Admit(admission, a);
        Admit(admission, a);
        Assert.Equal(ConnectionAdmission.TooManyFromSource, Refusal(admission, a));
        Admit(admission, b);
        Assert.Equal(ConnectionAdmission.TooManyConnections, Refusal(admission, b));
        admission.Release(first);
        Admit(admission, b);
        Assert.Equal(3, admission.Total);
    }

    [Fact]
    public void Neighbouring_addresses_share_the_limit_of_their_slash_24_or_slash_64()
    {
        var admission = Admission(new ListenerOptions { MaxConnectionsPerPrefix = 3, MaxSilentConnectionsPerPrefix = 100 });
        Admit(admission, Address("192.0.2.1"));
        Admit(admission, Address("192.0.2.2"));
        AdmissionTicket third = Admit(admission, Address("192.0.2.250"));
        Assert.Equal(ConnectionAdmission.TooManyFromPrefix, Refusal(admission, Address("192.0.2.3")));
        Admit(admission, Address("192.0.3.1"));

        Admit(admission, Address("2001:db8:0:1::1"));
        Admit(admission, Address("2001:db8:0:1::2"));
        Admit(admission, Address("2001:db8:0:1:ffff::3"));
        Assert.Equal(ConnectionAdmission.TooManyFromPrefix, Refusal(admission, Address("2001:db8:0:1::4")));
        Admit(admission, Address("2001:db8:0:2::1"));

        admission.Release(third);
        Admit(admission, Address("192.0.2.3"));
        Assert.Equal((3, 3), admission.Holding(ConnectionAdmission.PrefixOf(Address("192.0.2.77"))));
    }

    [Fact]
    public void A_source_holds_only_its_budget_of_silent_connections_and_one_that_sends_a_frame_frees_its_place()
    {
        var admission = Admission(new ListenerOptions { MaxSilentConnectionsPerSource = 2, MaxSilentConnectionsPerPrefix = 3 });
        InetValue node = Address("198.51.100.7");
        AdmissionTicket first = Admit(admission, node);
        Admit(admission, node);
        Assert.Equal(ConnectionAdmission.TooManySilentFromSource, Refusal(admission, node));

        admission.MarkEstablished(first);
        admission.MarkEstablished(first);
        Assert.Equal((2, 1), admission.Holding(node));
        AdmissionTicket third = Admit(admission, node);
        Assert.Equal((3, 2), admission.Holding(node));

        // The prefix budget counts the neighbours' silent connections too.
        Admit(admission, Address("198.51.100.8"));
        Assert.Equal(ConnectionAdmission.TooManySilentFromPrefix, Refusal(admission, Address("198.51.100.9")));

        // Releasing a silent and an established connection gives back what each held, once.
        admission.Release(third);
        admission.Release(third);
        admission.Release(first);
        Assert.Equal((1, 1), admission.Holding(node));
        Assert.Equal(2, admission.Total);
    }

    private static ConnectionAdmission Admission(ListenerOptions options) =>
        new(new SourceFilter(options, NullLogger.Instance), ListenerKind.Tcp, options);

    private static AdmissionTicket Admit(ConnectionAdmission admission, InetValue peer)
    {
        AdmissionTicket? ticket = admission.TryAdmit(peer, out string? refusal);
        Assert.Null(refusal);
        Assert.NotNull(ticket);
        return ticket;
    }

    private static string? Refusal(ConnectionAdmission admission, InetValue peer)
    {
        Assert.Null(admission.TryAdmit(peer, out string? refusal));
        return refusal;
    }

    private static InetValue Address(string text) => InetValue.FromIPAddress(IPAddress.Parse(text));
}
