using System.Globalization;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;

namespace XraySyslogSink.Listeners.Security;

/// <summary>The certificates named by <see cref="TlsOptions"/>, loaded from their PEM files.</summary>
internal sealed class TlsCredentials
{
    private TlsCredentials(X509Certificate2 certificate, X509Certificate2Collection intermediates, X509Certificate2Collection clientCa)
    {
        Certificate = certificate;
        Intermediates = intermediates;
        ClientCa = clientCa;
    }

    /// <summary>The collector certificate with its private key.</summary>
    public X509Certificate2 Certificate { get; }

    /// <summary>Certificates after the first in <c>Tls:Certificate</c>, sent with it.</summary>
    public X509Certificate2Collection Intermediates { get; }

    /// <summary>The CAs node certificates must chain to (empty with <c>Tls:ClientCertificates=None</c>).</summary>
    public X509Certificate2Collection ClientCa { get; }

    /// <summary>Loads the files; throws <see cref="TlsConfigurationException"/> naming the key at fault.</summary>
    public static TlsCredentials Load(TlsOptions options)
    {
        string certificateKey = $"{TlsOptions.SectionName}:{nameof(TlsOptions.Certificate)}";
        string keyKey = $"{TlsOptions.SectionName}:{nameof(TlsOptions.Key)}";
        RequireFile(options.Certificate, certificateKey);
        RequireFile(options.Key, keyKey);

        var chain = new X509Certificate2Collection();
        try
        {
            chain.ImportFromPemFile(options.Certificate);
        }
        catch (CryptographicException ex)
        {
            throw new TlsConfigurationException($"{certificateKey}: '{options.Certificate}' is not a PEM certificate file: {ex.Message}");
        }

        if (chain.Count == 0)
        {
            throw new TlsConfigurationException($"{certificateKey}: '{options.Certificate}' holds no CERTIFICATE block");
        }

        X509Certificate2 certificate;
        try
        {
            certificate = X509Certificate2.CreateFromPemFile(options.Certificate, options.Key);
        }
        catch (Exception ex) when (ex is CryptographicException or ArgumentException)
        {
            throw new TlsConfigurationException($"{keyKey}: '{options.Key}' is not an unencrypted PEM private key matching {certificateKey}: {ex.Message}");
        }

        var intermediates = new X509Certificate2Collection();
        for (int i = 1; i < chain.Count; i++)
        {
            intermediates.Add(chain[i]);
        }

        var clientCa = new X509Certificate2Collection();
        if (options.ClientCertificates != ClientCertificateMode.None)
        {
            string caKey = $"{TlsOptions.SectionName}:{nameof(TlsOptions.ClientCa)}";
            if (string.IsNullOrWhiteSpace(options.ClientCa))
            {
                throw new TlsConfigurationException($"{caKey} is empty: Tls:ClientCertificates={options.ClientCertificates} needs the PEM bundle of the CAs that sign node certificates");
            }

            RequireFile(options.ClientCa, caKey);
            try
            {
                clientCa.ImportFromPemFile(options.ClientCa);
            }
            catch (CryptographicException ex)
            {
                throw new TlsConfigurationException($"{caKey}: '{options.ClientCa}' is not a PEM certificate bundle: {ex.Message}");
            }

            if (clientCa.Count == 0)
            {
                throw new TlsConfigurationException($"{caKey}: '{options.ClientCa}' holds no CERTIFICATE block");
            }
        }

        return new TlsCredentials(certificate, intermediates, clientCa);
    }

    /// <summary>A SHA-256 fingerprint written as 64 hex digits, colons or spaces allowed; null when it is not one.</summary>
    public static byte[]? ParseFingerprint(string text)
    {
        Span<char> digits = stackalloc char[64];
        int count = 0;
        foreach (char c in text)
        {
            if (c is ':' or ' ')
            {
                continue;
            }

            if (!char.IsAsciiHexDigit(c) || count == digits.Length)
            {
                return null;
            }

            digits[count++] = c;
        }

        if (count != digits.Length)
        {
            return null;
        }

        var bytes = new byte[SHA256.HashSizeInBytes];
        for (int i = 0; i < bytes.Length; i++)
        {
            bytes[i] = byte.Parse(digits.Slice(2 * i, 2), NumberStyles.HexNumber, CultureInfo.InvariantCulture);
        }

        return bytes;
    }

    private static void RequireFile(string path, string key)
    {
        if (string.IsNullOrWhiteSpace(path))
        {
            throw new TlsConfigurationException($"{key} is empty: a TLS listener is on and needs it");
        }

        if (!File.Exists(path))
        {
            throw new TlsConfigurationException($"{key}: '{path}' does not exist or cannot be read");
        }
    }
}

/// <summary>A TLS setting that names a missing or unusable file; the message starts with the key.</summary>
internal sealed class TlsConfigurationException : Exception
{
    public TlsConfigurationException()
    {
    }

    public TlsConfigurationException(string message)
        : base(message)
    {
    }

    public TlsConfigurationException(string message, Exception innerException)
        : base(message, innerException)
    {
    }
}
