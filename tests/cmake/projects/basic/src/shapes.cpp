#include "demo/demo_export.h"
namespace demo {
class DEMO_EXPORT Shape {
public:
  explicit Shape(int sides);
  int sides() const;
private:
  int sides_;
};
Shape::Shape(int sides) : sides_(sides) {}
int Shape::sides() const { return sides_; }
}
