using Kivi.Protocol;
using System.Buffers;
using System.Text.Json;
using System.Text.Json.Serialization.Metadata;
using Kivi.Core;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.AspNetCore.Http.Features;
using Microsoft.AspNetCore.WebUtilities;
using Microsoft.Net.Http.Headers;

namespace Kivi.Server.Rest;

/// <summary>Reads request bodies within their limits, refusing oversize ones before or while reading.</summary>
internal static class RequestBody
{
    /// <summary>Reads the whole body, failing with <paramref name="tooLarge"/> as soon as it passes <paramref name="max"/>.</summary>
    public static async Task<ValueBuffer> ReadAsync(HttpContext context, long max, Func<long, Exception> tooLarge)
    {
        AllowBody(context, max);
        if (context.Request.ContentLength is { } declared && declared > max) throw tooLarge(declared);
        await TakeBudgetAsync(context, context.Request.ContentLength ?? max);
        return await ValueBuffer.ReadAsync(context.Request.Body, max, tooLarge, context.RequestAborted, context.Request.ContentLength);
    }

    /// <summary>Room in the upload budget for a body of up to <paramref name="bytes"/>, held until the request ends.</summary>
    private static async ValueTask TakeBudgetAsync(HttpContext context, long bytes)
    {
        if (await context.RequestServices.GetRequiredService<UploadBudget>().AcquireAsync(bytes, context.RequestAborted) is { } lease)
            context.Response.RegisterForDispose(lease);
    }

    /// <summary>Deserialises a JSON body of at most <paramref name="max"/> bytes.</summary>
    public static async Task<T> ReadJsonAsync<T>(HttpContext context, long max, Func<long, Exception> tooLarge, JsonTypeInfo<T> type)
    {
        using var body = await ReadAsync(context, max, tooLarge);
        return ParseJson(body, type);
    }

    /// <summary>Deserialises a body already read: exactly one JSON value, not null.</summary>
    public static T ParseJson<T>(ValueBuffer body, JsonTypeInfo<T> type)
    {
        if (body.Length == 0) throw KvErrors.InvalidRequest("The request body is empty; a JSON body is required.");
        var reader = new Utf8JsonReader(Sequence.Of(body));
        var value = JsonSerializer.Deserialize(ref reader, type) ?? throw KvErrors.InvalidRequest("The request body must not be JSON null.");
        // Anything after the one value is refused with the whole request: never apply part of what was sent.
        if (reader.Read()) throw KvErrors.InvalidRequest($"The request body holds more than one JSON value: something follows the first at byte {reader.TokenStartIndex}.");
        return value;
    }

    /// <summary>Raises Kestrel's own ceiling for this request; the exact limit is enforced while reading.</summary>
    private static void AllowBody(HttpContext context, long max)
    {
        var feature = context.Features.Get<IHttpMaxRequestBodySizeFeature>();
        if (feature is { IsReadOnly: false }) feature.MaxRequestBodySize = max + 1024 * 1024;
    }

    public static bool IsMultipart(HttpContext context, out string boundary)
    {
        boundary = "";
        if (!MediaTypeHeaderValue.TryParse(context.Request.ContentType, out var type) || !type.MediaType.Equals("multipart/form-data", StringComparison.OrdinalIgnoreCase))
            return false;
        var b = HeaderUtilities.RemoveQuotes(type.Boundary).Value;
        if (string.IsNullOrEmpty(b)) throw KvErrors.InvalidRequest("Malformed multipart body: the Content-Type has no boundary.");
        boundary = b;
        return true;
    }

    /// <summary>
    /// Reads the parts "value" and "metadata" of a multipart put. Any other part, or either one twice, is
    /// refused: a field a client sends is stored or refused, never dropped.
    /// </summary>
    public static async Task<(ValueBuffer Value, byte[] Metadata)> ReadMultipartAsync(HttpContext context, string boundary, long maxValue, int maxMetadata)
    {
        AllowBody(context, maxValue + maxMetadata * 8L + 64 * 1024);
        await TakeBudgetAsync(context, context.Request.ContentLength ?? maxValue);
        var reader = new MultipartReader(boundary, context.Request.Body) { BodyLengthLimit = maxValue + 1 };
        ValueBuffer? value = null;
        byte[] metadata = [];
        bool sawMetadata = false;
        try
        {
            while (await reader.ReadNextSectionAsync(context.RequestAborted) is { } section)
            {
                if (!ContentDispositionHeaderValue.TryParse(section.ContentDisposition, out var disposition))
                    throw KvErrors.InvalidRequest("Malformed multipart body: a part has no Content-Disposition.");
                string? name = HeaderUtilities.RemoveQuotes(disposition.Name).Value;
                if (name == "value")
                {
                    if (value is not null) throw KvErrors.InvalidRequest("Malformed multipart body: the part \"value\" appears more than once; send one.");
                    value = await ValueBuffer.ReadAsync(section.Body, maxValue, n => KvErrors.ValueTooLarge(n, maxValue), context.RequestAborted);
                }
                else if (name == "metadata")
                {
                    if (sawMetadata) throw KvErrors.InvalidRequest("Malformed multipart body: the part \"metadata\" appears more than once; send one.");
                    sawMetadata = true;
                    // Whitespace does not count against the limit, so allow some slack before normalising.
                    int slack = maxMetadata * 8;
                    using var raw = await ValueBuffer.ReadAsync(section.Body, slack, n => KvErrors.MetadataTooLarge((int)Math.Min(n, int.MaxValue), maxMetadata), context.RequestAborted);
                    metadata = raw.ToArray();
                }
                else if (name is not null && name.StartsWith("metadata[", StringComparison.Ordinal))
                    throw KvErrors.InvalidRequest($"Metadata sent as form fields (\"{name}\") is not supported: send it as one part named \"metadata\" holding JSON (with the Cloudflare SDK, pass metadata as JSON.stringify(...) of the object).");
                else
                    throw KvErrors.InvalidRequest($"Unknown multipart part \"{name}\": a value write takes the parts \"value\" and, optionally, \"metadata\" (JSON).");
            }
        }
        catch (Exception e) when (e is IOException or InvalidDataException)
        {
            // MultipartReader reports a truncated or malformed body this way; it is the client's mistake.
            value?.Dispose();
            throw KvErrors.InvalidRequest($"Malformed multipart body: {e.Message}");
        }
        catch
        {
            value?.Dispose();
            throw;
        }
        return (value ?? throw KvErrors.ValueMissing(), metadata);
    }

    /// <summary>The body's bytes as one sequence, without copying.</summary>
    public static ReadOnlySequence<byte> BytesOf(ValueBuffer body) => Sequence.Of(body);

    /// <summary>A <see cref="ReadOnlySequence{T}"/> over a <see cref="ValueBuffer"/>'s segments, without copying.</summary>
    private sealed class Sequence : ReadOnlySequenceSegment<byte>
    {
        private Sequence(ReadOnlyMemory<byte> memory, long runningIndex)
        {
            Memory = memory;
            RunningIndex = runningIndex;
        }

        public static ReadOnlySequence<byte> Of(ValueBuffer buffer)
        {
            Sequence? first = null, last = null;
            foreach (var segment in buffer.Segments)
            {
                var next = new Sequence(segment, last is null ? 0 : last.RunningIndex + last.Memory.Length);
                if (last is null) first = next;
                else last.Next = next;
                last = next;
            }
            return first is null ? ReadOnlySequence<byte>.Empty : new ReadOnlySequence<byte>(first, 0, last!, last!.Memory.Length);
        }
    }
}
