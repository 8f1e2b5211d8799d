// Shared source, compiled into the server and the .NET client (linked, internal in both): the bridge that lets
// MessagePack carry exactly the JSON objects of the contract, so both hub protocols deliver the same data.
using System.Buffers;
using System.Collections.Concurrent;
using System.Globalization;
using System.Runtime.InteropServices;
using System.Text.Json;
using System.Text.Json.Serialization.Metadata;
using MessagePack;
using MessagePack.Formatters;

namespace NotificationHub.MessagePackInterop;

/// <summary>Converts between JSON values and MessagePack values, one to one.</summary>
/// <remarks>
/// JSON object → map with string keys, array → array, string → str (timestamps stay ISO 8601 strings), integer →
/// int, other number → float64, true/false → bool, null → nil. Reading maps the other way; a MessagePack timestamp
/// becomes an ISO 8601 string and binary becomes base64, so any MessagePack value can be read.
/// </remarks>
internal static class MessagePackJson
{
    private const int MaxDepth = 64;

    /// <summary>Writes a JSON value as the equivalent MessagePack value (from its UTF-8 text, as the overload below).</summary>
    public static void Write(ref MessagePackWriter writer, JsonElement element)
    {
        if (element.ValueKind == JsonValueKind.Undefined)
        {
            writer.WriteNil();
            return;
        }

        Write(ref writer, JsonMarshal.GetRawUtf8Value(element));
    }

    /// <summary>
    /// Writes one JSON value from its UTF-8 text as the equivalent MessagePack value, without a
    /// <see cref="JsonDocument"/> (the server frames every event this way, issue #15 item 4). Strings and property
    /// names are written from their UTF-8 bytes, unescaped first only when they hold an escape sequence.
    /// </summary>
    public static void Write(ref MessagePackWriter writer, ReadOnlySpan<byte> json)
    {
        var reader = new Utf8JsonReader(json, new JsonReaderOptions { MaxDepth = MaxDepth + 1 });
        reader.Read();
        Write(ref writer, ref reader);
    }

    private static void Write(ref MessagePackWriter writer, ref Utf8JsonReader reader)
    {
        switch (reader.TokenType)
        {
            case JsonTokenType.StartObject:
                writer.WriteMapHeader(CountChildren(reader));
                while (reader.Read() && reader.TokenType == JsonTokenType.PropertyName)
                {
                    WriteString(ref writer, ref reader);
                    reader.Read();
                    Write(ref writer, ref reader);
                }

                break;
            case JsonTokenType.StartArray:
                writer.WriteArrayHeader(CountChildren(reader));
                while (reader.Read() && reader.TokenType != JsonTokenType.EndArray)
                {
                    Write(ref writer, ref reader);
                }

                break;
            case JsonTokenType.String:
                WriteString(ref writer, ref reader);
                break;
            case JsonTokenType.Number:
                if (reader.TryGetInt64(out var integer))
                {
                    writer.Write(integer);
                }
                else if (reader.TryGetUInt64(out var unsigned))
                {
                    writer.Write(unsigned);
                }
                else
                {
                    writer.Write(reader.GetDouble());
                }

                break;
            case JsonTokenType.True:
                writer.Write(true);
                break;
            case JsonTokenType.False:
                writer.Write(false);
                break;
            default:
                writer.WriteNil();
                break;
        }
    }

    // A string or property name from its UTF-8 bytes; one with an escape sequence is unescaped first.
    private static void WriteString(ref MessagePackWriter writer, ref Utf8JsonReader reader)
    {
        if (reader.ValueIsEscaped)
        {
            writer.Write(reader.GetString());
        }
        else
        {
            writer.WriteString(reader.ValueSpan);
        }
    }

    // MessagePack needs a map's or array's length before its items: count them on a copy of the reader.
    private static int CountChildren(Utf8JsonReader reader)
    {
        var count = 0;
        while (reader.Read() && reader.TokenType is not (JsonTokenType.EndObject or JsonTokenType.EndArray))
        {
            count++;
            reader.Skip(); // a property name: to the end of its value; a container: to its end
        }

        return count;
    }

    /// <summary>Reads one MessagePack value as a JSON value.</summary>
    public static JsonElement Read(ref MessagePackReader reader)
    {
        var buffer = new ArrayBufferWriter<byte>();
        using (var json = new Utf8JsonWriter(buffer))
        {
            Copy(ref reader, json, 0);
        }

        var jsonReader = new Utf8JsonReader(buffer.WrittenSpan);
        return JsonElement.ParseValue(ref jsonReader);
    }

    private static void Copy(ref MessagePackReader reader, Utf8JsonWriter json, int depth)
    {
        if (depth > MaxDepth)
        {
            throw new MessagePackSerializationException("The MessagePack value is nested too deeply.");
        }

        switch (reader.NextMessagePackType)
        {
            case MessagePackType.Map:
                var properties = reader.ReadMapHeader();
                json.WriteStartObject();
                for (var i = 0; i < properties; i++)
                {
                    json.WritePropertyName(ReadKey(ref reader));
                    Copy(ref reader, json, depth + 1);
                }

                json.WriteEndObject();
                break;
            case MessagePackType.Array:
                var items = reader.ReadArrayHeader();
                json.WriteStartArray();
                for (var i = 0; i < items; i++)
                {
                    Copy(ref reader, json, depth + 1);
                }

                json.WriteEndArray();
                break;
            case MessagePackType.String:
                json.WriteStringValue(reader.ReadString());
                break;
            case MessagePackType.Integer:
                if (reader.NextCode == MessagePackCode.UInt64)
                {
                    json.WriteNumberValue(reader.ReadUInt64());
                }
                else
                {
                    json.WriteNumberValue(reader.ReadInt64());
                }

                break;
            case MessagePackType.Float:
                json.WriteNumberValue(reader.ReadDouble());
                break;
            case MessagePackType.Boolean:
                json.WriteBooleanValue(reader.ReadBoolean());
                break;
            case MessagePackType.Binary:
                var bytes = reader.ReadBytes();
                json.WriteBase64StringValue(bytes.HasValue ? bytes.Value.ToArray() : []);
                break;
            case MessagePackType.Extension:
                var peek = reader.CreatePeekReader();
                if (peek.ReadExtensionFormatHeader().TypeCode == ReservedMessagePackExtensionTypeCode.DateTime)
                {
                    json.WriteStringValue(new DateTimeOffset(reader.ReadDateTime()).ToString("O", CultureInfo.InvariantCulture));
                }
                else
                {
                    reader.Skip();
                    json.WriteNullValue();
                }

                break;
            default:
                reader.Skip();
                json.WriteNullValue();
                break;
        }
    }

    private static string ReadKey(ref MessagePackReader reader) =>
        reader.NextMessagePackType switch
        {
            MessagePackType.String => reader.ReadString() ?? "",
            MessagePackType.Integer => reader.ReadInt64().ToString(CultureInfo.InvariantCulture),
            _ => throw new MessagePackSerializationException("Map keys must be strings or integers."),
        };
}

/// <summary>MessagePack formatter of <see cref="JsonElement"/>: the JSON value as the equivalent MessagePack value.</summary>
internal sealed class JsonElementMessagePackFormatter : IMessagePackFormatter<JsonElement>
{
    public static readonly JsonElementMessagePackFormatter Instance = new();

    public void Serialize(ref MessagePackWriter writer, JsonElement value, MessagePackSerializerOptions options) =>
        MessagePackJson.Write(ref writer, value);

    public JsonElement Deserialize(ref MessagePackReader reader, MessagePackSerializerOptions options) =>
        MessagePackJson.Read(ref reader);
}

/// <summary>
/// MessagePack formatter of a type through its System.Text.Json form: the MessagePack map carries exactly the
/// JSON object's names and values (snake_case keys, string timestamps).
/// </summary>
internal sealed class SystemTextJsonMessagePackFormatter<T>(JsonTypeInfo<T> typeInfo) : IMessagePackFormatter<T?>
{
    public void Serialize(ref MessagePackWriter writer, T? value, MessagePackSerializerOptions options)
    {
        if (value is null)
        {
            writer.WriteNil();
            return;
        }

        MessagePackJson.Write(ref writer, JsonSerializer.SerializeToElement(value, typeInfo));
    }

    public T? Deserialize(ref MessagePackReader reader, MessagePackSerializerOptions options) =>
        reader.TryReadNil() ? default : MessagePackJson.Read(ref reader).Deserialize(typeInfo);
}

/// <summary>
/// Resolves <see cref="JsonElement"/> and the given JSON-contract types to the System.Text.Json bridge; everything
/// else is left to the next resolver.
/// </summary>
internal sealed class SystemTextJsonMessagePackResolver : IFormatterResolver
{
    private readonly JsonSerializerOptions _jsonOptions;
    private readonly HashSet<Type> _types;
    private readonly Dictionary<Type, IMessagePackFormatter> _explicit;
    private readonly ConcurrentDictionary<Type, object?> _cache = new();

    public SystemTextJsonMessagePackResolver(
        JsonSerializerOptions jsonOptions, IEnumerable<Type> types, IReadOnlyDictionary<Type, IMessagePackFormatter>? formatters = null)
    {
        _jsonOptions = jsonOptions;
        _types = [.. types];
        _explicit = formatters is null ? [] : new Dictionary<Type, IMessagePackFormatter>(formatters);
    }

    public IMessagePackFormatter<T>? GetFormatter<T>() =>
        (IMessagePackFormatter<T>?)_cache.GetOrAdd(typeof(T), static (type, self) => self.Create(type), this);

    private object? Create(Type type)
    {
        if (_explicit.TryGetValue(type, out var formatter))
        {
            return formatter;
        }

        if (type == typeof(JsonElement))
        {
            return JsonElementMessagePackFormatter.Instance;
        }

        if (!_types.Contains(type))
        {
            return null;
        }

        var typeInfo = _jsonOptions.GetTypeInfo(type);
        var formatterType = typeof(SystemTextJsonMessagePackFormatter<>).MakeGenericType(type);
        return Activator.CreateInstance(formatterType, typeInfo);
    }
}
