# Seed 002, "Control Flow + Weight Sharing" section: DynamicNet with SGD + momentum.
import random
import tensorgraft as torch

class DynamicNet(torch.nn.Module):
    def __init__(self,D_in,H,D_out):
        super(DynamicNet,self).__init__()
        self.input_linear=torch.nn.Linear(D_in,H)
        self.middle_linear=torch.nn.Linear(H,H)
        self.output_linear=torch.nn.Linear(H,D_out)

    def forward(self,x):
        h_relu=self.input_linear(x).clamp(min=0) # relu

        for _ in range(random.randint(0,3)): # 0-3回、さらなる隠れ層の計算をする
            h_relu=self.middle_linear(h_relu).clamp(min=0)

        y_pred=self.output_linear(h_relu) # 出力層を計算

        return y_pred

N,D_in,H,D_out=64,1000,100,10

x=torch.randn(N,D_in)
y=torch.randn(N,D_out)

model=DynamicNet(D_in,H,D_out)

criterion=torch.nn.MSELoss(reduction="sum")
optimizer=torch.optim.SGD(model.parameters(),lr=1e-4,momentum=0.9)

for t in range(500):
    y_pred=model(x)

    loss=criterion(y_pred,y)

    if t%100==99: # 100エポックごとに表示する
        print(t,loss.item())

    optimizer.zero_grad()
    loss.backward()
    optimizer.step()
