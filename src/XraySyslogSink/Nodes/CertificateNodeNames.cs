using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;

namespace XraySyslogSink.Nodes;

/// <summary>
/// The node name a verified client certificate stands for: the name the operator maps its SHA-256 fingerprint to
/// (<c>Nodes:CertificateNames</c>, <c>"node-a": ["AB:CD:…"]</c>, several fingerprints for a rotation), else its
/// subject CN. Only called for a certificate the TLS layer has already checked against <c>Tls:ClientCa</c>.
/// </summary>
internal sealed class CertificateNodeNames
{
    private readonly Dictionary<string, string> _byFingerprint;

    private CertificateNodeNames(Dictionary<string, string> byFingerprint) => _byFingerprint = byFingerprint;

    public static CertificateNodeNames Empty { get; } = new(new Dictionary<string, string>(StringComparer.Ordinal));

    /// <summary>Parses the mapping; on failure <paramref name="errors"/> names each bad entry and the result is <see cref="Empty"/>.</summary>
    public static CertificateNodeNames Parse(IReadOnlyDictionary<string, string[]>? byName, string key, List<string> errors)
    {
        ArgumentNullException.ThrowIfNull(errors);
        if (byName is null || byName.Count == 0)
        {
            return Empty;
        }

        int before = errors.Count;
        var byFingerprint = new Dictionary<string, string>(StringComparer.Ordinal);
        foreach ((string name, string[] fingerprints) in byName)
        {
            if (!NodeNames.IsValidName(name))
            {
                errors.Add($"{key}: '{NodeText.Escape(name)}' is not a node name (1 to {NodeNames.MaxLength} characters, no control characters, not '-')");
                continue;
            }

            foreach (string text in fingerprints ?? [])
            {
                string? fingerprint = NormaliseFingerprint(text);
                if (fingerprint is null)
                {
                    errors.Add($"{key}:{name}: '{NodeText.Escape(text ?? string.Empty)}' is not a SHA-256 fingerprint (64 hex digits, colons or spaces allowed)");
                }
                else if (!byFingerprint.TryAdd(fingerprint, name))
                {
                    errors.Add($"{key}:{name}: fingerprint {text} is already mapped to node '{byFingerprint[fingerprint]}'");
                }
            }
        }

        return errors.Count > before ? Empty : new CertificateNodeNames(byFingerprint);
    }

    /// <summary>
    /// The node name for <paramref name="certificate"/>, or null when neither the mapping nor a usable CN names it
    /// (the next rule then applies). A CN that is not a valid name (control characters, too long) is never used.
    /// </summary>
    public string? NameOf(X509Certificate2 certificate)
    {
        ArgumentNullException.ThrowIfNull(certificate);
        if (_byFingerprint.Count > 0)
        {
            string fingerprint = Convert.ToHexString(SHA256.HashData(certificate.RawDataMemory.Span));
            if (_byFingerprint.TryGetValue(fingerprint, out string? mapped))
            {
                return mapped;
            }
        }

        string? commonName = CommonName(certificate);
        return NodeNames.IsValidName(commonName) ? commonName : null;
    }

    /// <summary>The subject's CN attribute (not the fallbacks <see cref="X509NameType.SimpleName"/> would take).</summary>
    private static string? CommonName(X509Certificate2 certificate)
    {
        foreach (X500RelativeDistinguishedName part in certificate.SubjectName.EnumerateRelativeDistinguishedNames())
        {
            if (!part.HasMultipleElements && part.GetSingleElementType().Value == "2.5.4.3")
            {
                return part.GetSingleElementValue();
            }
        }

        return null;
    }

    /// <summary>64 hex digits (colons and spaces ignored) as upper-case hex, or null.</summary>
    private static string? NormaliseFingerprint(string? text)
    {
        if (text is null)
        {
            return null;
        }

        string digits = text.Replace(":", string.Empty, StringComparison.Ordinal).Replace(" ", string.Empty, StringComparison.Ordinal);
        return digits.Length == SHA256.HashSizeInBytes * 2 && digits.All(char.IsAsciiHexDigit) ? digits.ToUpperInvariant() : null;
    }
}
