// tiercache's optional native helper (built by scripts/build-native.mjs at install; the library
// works without it). It gives JavaScript what it cannot reach otherwise:
//   trim()      glibc malloc_trim(0): return free pages inside the malloc heap to the kernel;
//   info()      glibc mallinfo2(): bytes the allocator holds, in use and free;
//   pressure()  V8's MemoryPressureNotification(kModerate): a memory-reducing collection that
//               an embedder may request after freeing a lot (no --expose-gc involved).
// On a C library without these calls, trim() and info() report that they are unavailable.
#include <node.h>
#include <v8.h>

#if defined(__GLIBC__) && (__GLIBC__ > 2 || (__GLIBC__ == 2 && __GLIBC_MINOR__ >= 33))
#include <malloc.h>
#define TIERCACHE_HAVE_MALLINFO2 1
#endif

namespace {

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

}  // namespace

NODE_MODULE_INIT(/* exports, module, context */) {
  Isolate* isolate = context->GetIsolate();
  NODE_SET_METHOD(exports, "trim", Trim);
  NODE_SET_METHOD(exports, "info", Info);
  NODE_SET_METHOD(exports, "pressure", Pressure);
  (void)isolate;
}
