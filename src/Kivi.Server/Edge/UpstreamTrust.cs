using System.Net.Security;
using System.Security.Cryptography.X509Certificates;

namespace Kivi.Server.Edge;

/// <summary>
/// An edge's trust in its upstream's certificate with <c>--upstream-ca</c>: the certificate must chain to that CA (and
/// to nothing else: the system's roots are not consulted) and name the host the edge dialled. Anything else is refused,
/// so a node that cannot show a certificate from the operator's CA never gets an edge's token or feeds it data.
/// </summary>
internal static class UpstreamTrust
{
    public static SslClientAuthenticationOptions Options(string caFile)
    {
        var authorities = new X509Certificate2Collection();
        authorities.ImportFromPemFile(caFile);
        if (authorities.Count == 0) throw new KiviOptionsException($"--upstream-ca {caFile} holds no PEM certificate.");
        return new SslClientAuthenticationOptions
        {
            RemoteCertificateValidationCallback = (_, certificate, _, errors) =>
            {
                if (certificate is null || errors.HasFlag(SslPolicyErrors.RemoteCertificateNameMismatch) || errors.HasFlag(SslPolicyErrors.RemoteCertificateNotAvailable))
                    return false;
                using var chain = new X509Chain();
                chain.ChainPolicy.TrustMode = X509ChainTrustMode.CustomRootTrust;
                chain.ChainPolicy.CustomTrustStore.AddRange(authorities);
                chain.ChainPolicy.RevocationMode = X509RevocationMode.NoCheck; // an edge may have no route to a CRL; the CA is the operator's own
                return chain.Build(certificate as X509Certificate2 ?? X509CertificateLoader.LoadCertificate(certificate.GetRawCertData()));
            },
        };
    }
}
