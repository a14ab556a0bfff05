// tiercache's optional native helper (built by scripts/build-native.mjs at install; the library
// works without it). It gives JavaScript what it cannot reach otherwise:
//   trim()      glibc malloc_trim(0): return free pages inside the malloc heap to the kernel;
//   info()      glibc mallinfo2(): bytes the allocator holds, in use and free;
//   pressure()  V8's MemoryPressureNotification(kModerate): a memory-reducing collection that
//               an embedder may request after freeing a lot (no --expose-gc involved);
//   map(n)      an ArrayBuffer of n bytes mmapped directly (outside malloc), unmapped when V8
//               collects it: the slab pool's slabs;
//   discard(buffer, offset, length)
//               madvise(MADV_DONTNEED) on page-aligned bytes of such a buffer: their pages
//               leave RSS at once and read back as zeros.
// On a C library without these calls, trim() and info() report that they are unavailable.
#include <node.h>
#include <sys/mman.h>
#include <v8.h>

#include <memory>

#if defined(__GLIBC__) && (__GLIBC__ > 2 || (__GLIBC__ == 2 && __GLIBC_MINOR__ >= 33))
#include <malloc.h>
#define TIERCACHE_HAVE_MALLINFO2 1
#endif

namespace {

using v8::ArrayBuffer;
using v8::BackingStore;
using v8::Context;
using v8::FunctionCallbackInfo;
using v8::Isolate;
using v8::Local;
using v8::Number;
using v8::Object;
using v8::String;
using v8::Value;

void Trim(const FunctionCallbackInfo<Value>& args) {
#ifdef TIERCACHE_HAVE_MALLINFO2
  args.GetReturnValue().Set(malloc_trim(0) != 0);
#else
  args.GetReturnValue().SetNull();
#endif
}

void SetNumber(Isolate* isolate, Local<Context> context, Local<Object> object, const char* key,
               double value) {
  object
      ->Set(context, String::NewFromUtf8(isolate, key).ToLocalChecked(),
            Number::New(isolate, value))
      .Check();
}

void Info(const FunctionCallbackInfo<Value>& args) {
#ifdef TIERCACHE_HAVE_MALLINFO2
  Isolate* isolate = args.GetIsolate();
  Local<Context> context = isolate->GetCurrentContext();
  struct mallinfo2 info = mallinfo2();
  Local<Object> out = Object::New(isolate);
  SetNumber(isolate, context, out, "heapBytes", static_cast<double>(info.arena));
  SetNumber(isolate, context, out, "mmappedBytes", static_cast<double>(info.hblkhd));
  SetNumber(isolate, context, out, "inUseBytes", static_cast<double>(info.uordblks));
  SetNumber(isolate, context, out, "freeBytes", static_cast<double>(info.fordblks));
  SetNumber(isolate, context, out, "topReleasableBytes", static_cast<double>(info.keepcost));
  args.GetReturnValue().Set(out);
#else
  args.GetReturnValue().SetNull();
#endif
}

void Pressure(const FunctionCallbackInfo<Value>& args) {
  args.GetIsolate()->MemoryPressureNotification(v8::MemoryPressureLevel::kModerate);
}

void Unmap(void* data, size_t length, void*) { munmap(data, length); }

void Map(const FunctionCallbackInfo<Value>& args) {
  Isolate* isolate = args.GetIsolate();
  if (!args[0]->IsNumber()) return;
  size_t length = static_cast<size_t>(args[0].As<Number>()->Value());
  void* data = mmap(nullptr, length, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
  if (data == MAP_FAILED) return;  // undefined: the caller falls back
  std::unique_ptr<BackingStore> store = ArrayBuffer::NewBackingStore(data, length, Unmap, nullptr);
  args.GetReturnValue().Set(ArrayBuffer::New(isolate, std::move(store)));
}

void Discard(const FunctionCallbackInfo<Value>& args) {
  if (!args[0]->IsArrayBuffer() || !args[1]->IsNumber() || !args[2]->IsNumber()) return;
  Local<ArrayBuffer> buffer = args[0].As<ArrayBuffer>();
  size_t offset = static_cast<size_t>(args[1].As<Number>()->Value());
  size_t length = static_cast<size_t>(args[2].As<Number>()->Value());
  std::shared_ptr<BackingStore> store = buffer->GetBackingStore();
  if (offset + length > store->ByteLength()) return;
  char* start = static_cast<char*>(store->Data()) + offset;
  args.GetReturnValue().Set(madvise(start, length, MADV_DONTNEED) == 0);
}

}  // namespace

NODE_MODULE_INIT(/* exports, module, context */) {
  Isolate* isolate = context->GetIsolate();
  NODE_SET_METHOD(exports, "trim", Trim);
  NODE_SET_METHOD(exports, "info", Info);
  NODE_SET_METHOD(exports, "pressure", Pressure);
  NODE_SET_METHOD(exports, "map", Map);
  NODE_SET_METHOD(exports, "discard", Discard);
  (void)isolate;
}
